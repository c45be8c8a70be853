//! A set of regimes as a bit mask, so plans compare regimes without allocating.

use std::fmt;

use residency_core::Regime;

/// A set of [`Regime`]s: bit `i` is `Regime::all()[i]`.
///
/// `Regime` has 22 values today; a regime past the 63rd would share bit 63 with the others
/// past it, which only ever makes a check stricter (a region holds bit 63 only if it was
/// given such a regime). A test keeps the count below 63.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct RegimeSet(u64);

impl RegimeSet {
    /// The empty set.
    pub(crate) const EMPTY: Self = Self(0);

    fn bit(regime: Regime) -> u64 {
        let position = Regime::all()
            .iter()
            .position(|r| *r == regime)
            .unwrap_or(63)
            .min(63);
        1 << position
    }

    /// The set holding `regime` only.
    #[cfg(test)]
    pub(crate) fn one(regime: Regime) -> Self {
        Self(Self::bit(regime))
    }

    /// Adds `regime`.
    pub(crate) fn insert(&mut self, regime: Regime) {
        self.0 |= Self::bit(regime);
    }

    /// Whether `regime` is in the set.
    pub(crate) fn contains(self, regime: Regime) -> bool {
        self.0 & Self::bit(regime) != 0
    }

    /// The regimes of `self` that are not in `other`.
    pub(crate) fn minus(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// The regimes in both sets.
    pub(crate) fn and(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The regimes, in `Regime::all()` order.
    pub(crate) fn iter(self) -> impl Iterator<Item = Regime> {
        Regime::all()
            .iter()
            .copied()
            .filter(move |r| self.contains(*r))
    }

    /// The first regime of the set, in `Regime::all()` order.
    pub(crate) fn first(self) -> Option<Regime> {
        self.iter().next()
    }
}

impl FromIterator<Regime> for RegimeSet {
    fn from_iter<I: IntoIterator<Item = Regime>>(iter: I) -> Self {
        let mut set = Self::EMPTY;
        for r in iter {
            set.insert(r);
        }
        set
    }
}

impl fmt::Debug for RegimeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The regimes whose personal data may only leave for a region that holds them through a
/// transfer tool ([`Regime::restricts_transfer`]).
pub(crate) fn restricted() -> RegimeSet {
    Regime::all()
        .iter()
        .copied()
        .filter(|r| r.restricts_transfer())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_regime_has_its_own_bit() {
        assert!(Regime::all().len() < 63);
        let all: RegimeSet = Regime::all().iter().copied().collect();
        assert_eq!(all.iter().collect::<Vec<_>>(), Regime::all());
        for r in Regime::all() {
            assert_eq!(RegimeSet::one(*r).iter().collect::<Vec<_>>(), [*r]);
        }
    }

    #[test]
    fn set_operations() {
        let a: RegimeSet = [Regime::EuGdpr, Regime::Lgpd].into_iter().collect();
        let b = RegimeSet::one(Regime::Lgpd);
        assert_eq!(a.minus(b), RegimeSet::one(Regime::EuGdpr));
        assert_eq!(a.and(b), b);
        assert!(a.minus(a).is_empty());
        assert_eq!(a.first(), Some(Regime::EuGdpr));
        assert!(restricted().contains(Regime::EuGdpr));
        assert!(!restricted().contains(Regime::UsState));
        assert_eq!(format!("{b:?}"), "{Lgpd}");
    }
}
