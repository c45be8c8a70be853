//! Runs of digit groups shared by cards and phones (`4111 1111`, `(415) 555-0132`,
//! `+44 (0)20 7946`), and where in a run a number ends.
//!
//! A run can hold more than one item when they are written one after the other with a
//! space: `+49 151 23456789 4111 1111 1111 1111` is a phone and a card, and
//! `4111 1111 1111 1111 5500 0000 0000 0004` two cards. A matcher therefore reads the whole
//! run (up to [`MAX_DIGITS`] digits and [`MAX_GROUPS`] groups), lists the group boundaries
//! where its kind of number could end, and [`DigitGroups::pick_end`] chooses one of them.

use std::fmt;

use super::Entity;
use super::findings::{Lookahead, entity_at};
use super::text::{
    Digits, Separators, byte_at, close_paren_at, digit_at, glued_at, open_paren_at, plus_at,
    separator_at,
};

/// Most digits read in one run: more than any phone number or card has.
pub(super) const MAX_DIGITS: usize = 20;
/// Most groups read in one run.
pub(super) const MAX_GROUPS: usize = 8;
/// Parentheses are read around the first or the second group only (`(415) 555-0132`,
/// `+1 (415) 555-0132`, `+44 (0)20`).
const MAX_PARENTHESIZED_INDEX: usize = 1;

/// How the numbers of a run are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Syntax {
    /// Card numbers: ASCII digits, groups separated by a space or a dash.
    Card,
    /// Phone numbers: digits of any script, phone separators, parentheses around one of the
    /// first two groups; with `drop_trunk`, an `(0)` group is read but not counted.
    Phone {
        /// Drop an `(0)` trunk group (`+44 (0)20 ...`).
        drop_trunk: bool,
    },
}

impl Syntax {
    fn digits(self) -> Digits {
        match self {
            Self::Card => Digits::Ascii,
            Self::Phone { .. } => Digits::AnyScript,
        }
    }

    fn separators(self) -> Separators {
        match self {
            Self::Card => Separators::SpaceOrDash,
            Self::Phone { .. } => Separators::Phone,
        }
    }

    /// Whether the group at `index` may be written in parentheses.
    fn parentheses(self, index: usize) -> bool {
        matches!(self, Self::Phone { .. }) && index <= MAX_PARENTHESIZED_INDEX
    }
}

/// One group of a run: where it is in the text and how it was written.
///
/// Offsets are kept relative to the start of the run, which keeps a whole run small enough
/// to copy cheaply (a run spans at most a few hundred bytes).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Group {
    /// Digits of the run up to and including this group.
    pub(super) digits_through: u8,
    /// Number of digits in the group.
    pub(super) len: u8,
    /// Whether the group was written in parentheses.
    pub(super) parenthesized: bool,
    /// Offset of the group (of its `(` when parenthesized) from the start of the run.
    start: u16,
    /// Offset just past the group (past its `)` when parenthesized) from the start of the
    /// run.
    end: u16,
}

/// What follows a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Following {
    /// Nothing that goes on with the number: the run is over.
    Nothing,
    /// A character that glues the run to something longer ([`glued_at`]).
    Glue,
    /// Another group of the run, starting at this offset.
    Group(usize),
}

/// The digit groups of one run, read from the text.
///
/// `Debug` shows the group lengths only: the digits may be a phone or card number.
pub(super) struct DigitGroups {
    /// Text offset of the run's first group.
    origin: usize,
    /// The digits, as ASCII (other scripts normalized).
    digits: [u8; MAX_DIGITS],
    digit_count: usize,
    groups: [Group; MAX_GROUPS],
    group_count: usize,
    /// What follows the last group read.
    after_last: Following,
}

impl DigitGroups {
    /// Reads the run of groups that starts at `i` (a digit, or an opening parenthesis when
    /// the syntax allows one); `None` when no group starts there.
    pub(super) fn read(text: &[u8], i: usize, syntax: Syntax) -> Option<Self> {
        let mut run = Self {
            origin: i,
            digits: [0; MAX_DIGITS],
            digit_count: 0,
            groups: [Group::default(); MAX_GROUPS],
            group_count: 0,
            after_last: Following::Nothing,
        };
        let mut group_start = i;
        loop {
            match run.read_group(text, group_start, syntax) {
                GroupRead::Stored(end) | GroupRead::Dropped(end) => {
                    let next = next_group(text, end, syntax, run.group_count);
                    match next {
                        Some(next) if run.group_count < MAX_GROUPS => group_start = next,
                        Some(next) => {
                            run.after_last = Following::Group(next);
                            return Some(run);
                        }
                        None => {
                            run.after_last = if glued_at(text, end) {
                                Following::Glue
                            } else {
                                Following::Nothing
                            };
                            return (run.group_count > 0).then_some(run);
                        }
                    }
                }
                GroupRead::TooLong => {
                    // The rest of the run is longer than any number: it is left to be read
                    // again from its own start.
                    run.after_last = Following::Group(group_start);
                    return (run.group_count > 0).then_some(run);
                }
                GroupRead::NotAGroup => {
                    // A `(` without digits and `)`, or one where none may be: the run ends
                    // before it.
                    run.after_last = Following::Nothing;
                    return (run.group_count > 0).then_some(run);
                }
            }
        }
    }

    /// Reads one group at `start`, storing its digits; undoes them when it is not a group.
    fn read_group(&mut self, text: &[u8], start: usize, syntax: Syntax) -> GroupRead {
        let open = if syntax.parentheses(self.group_count) {
            open_paren_at(text, start)
        } else {
            None
        };
        let first_digit = self.digit_count;
        let mut j = start + open.unwrap_or(0);
        while let Some((value, len)) = digit_at(text, j, syntax.digits()) {
            let Some(slot) = self.digits.get_mut(self.digit_count) else {
                self.digit_count = first_digit;
                return GroupRead::TooLong;
            };
            *slot = b'0' + value;
            self.digit_count += 1;
            j += len;
        }
        let len = self.digit_count - first_digit;
        let close = open.and_then(|_| close_paren_at(text, j));
        if len == 0 || open.is_some() != close.is_some() {
            self.digit_count = first_digit;
            return GroupRead::NotAGroup;
        }
        let end = j + close.unwrap_or(0);
        let parenthesized = open.is_some();
        let trunk = matches!(syntax, Syntax::Phone { drop_trunk: true })
            && parenthesized
            && len == 1
            && self.group_count > 0
            && self.digits.get(first_digit) == Some(&b'0');
        if trunk {
            // `+44 (0)20 ...`: the trunk digit is not dialled from abroad.
            self.digit_count = first_digit;
            return GroupRead::Dropped(end);
        }
        let offset = |at: usize| u16::try_from(at - self.origin).ok();
        let (Some(relative_start), Some(relative_end), Some(slot)) = (
            offset(start),
            offset(end),
            self.groups.get_mut(self.group_count),
        ) else {
            self.digit_count = first_digit;
            return GroupRead::TooLong;
        };
        *slot = Group {
            // At most MAX_DIGITS (20) digits are ever stored.
            digits_through: self.digit_count as u8,
            len: len as u8,
            parenthesized,
            start: relative_start,
            end: relative_end,
        };
        self.group_count += 1;
        GroupRead::Stored(end)
    }

    /// The first `n` digits, as ASCII.
    pub(super) fn digits(&self, n: usize) -> &[u8] {
        self.digits
            .get(..n.min(self.digit_count))
            .unwrap_or_default()
    }

    /// How many digits were read.
    pub(super) fn digit_count(&self) -> usize {
        self.digit_count
    }

    /// The value of digit `k` (0 past the end).
    pub(super) fn value(&self, k: usize) -> u8 {
        self.digits(self.digit_count).get(k).map_or(0, |d| d - b'0')
    }

    /// The groups read, in order.
    pub(super) fn groups(&self) -> &[Group] {
        self.groups.get(..self.group_count).unwrap_or_default()
    }

    /// The lengths of groups `0..=k`.
    pub(super) fn lens_through(&self, k: usize) -> GroupLens {
        let mut lens = GroupLens {
            lens: [0; MAX_GROUPS],
            count: 0,
        };
        for (dst, group) in lens.lens.iter_mut().zip(self.groups().iter().take(k + 1)) {
            *dst = group.len;
            lens.count += 1;
        }
        lens
    }

    /// Text offset just past `group` (one of [`groups`](Self::groups)).
    pub(super) fn end(&self, group: &Group) -> usize {
        self.origin + usize::from(group.end)
    }

    /// What follows group `k`.
    pub(super) fn following(&self, k: usize) -> Following {
        match self.groups().get(k + 1) {
            Some(next) => Following::Group(self.origin + usize::from(next.start)),
            None => self.after_last,
        }
    }

    /// Where the number ends, among the groups `k` at which `fit(k)` says it can end.
    ///
    /// An end glued to something longer is never taken. With [`Lookahead::Off`] the latest
    /// of the best-fitting remaining ends wins (in `+7 200 200 0000 001 100` the 10-digit
    /// Russian number, not a 13-digit one). With [`Lookahead::NextEntity`], ends where the
    /// run is over, or where the next group starts another entity, come first, and the best
    /// of them wins ([`Pick::beats`]). When no end is followed by either, the end
    /// [`Lookahead::Off`] takes wins if `trailing` allows digits that belong to nothing
    /// after the number, and there is no end otherwise.
    pub(super) fn pick_end(
        &self,
        text: &[u8],
        lookahead: Lookahead,
        trailing: Trailing,
        mut fit: impl FnMut(usize) -> Option<Fit>,
    ) -> Option<usize> {
        // The latest end of the best fit, and whether it fits typically.
        let mut latest: Option<(usize, Fit)> = None;
        let mut best: Option<Pick> = None;
        for (k, group) in self.groups().iter().enumerate().rev() {
            let Some(fit) = fit(k) else {
                continue;
            };
            let end = self.end(group);
            let following = self.following(k);
            if following == Following::Glue {
                continue;
            }
            if latest.is_none_or(|(_, best_fit)| fit > best_fit) {
                latest = Some((end, fit));
            }
            if lookahead == Lookahead::Off {
                if fit == Fit::Typical {
                    break;
                }
                continue;
            }
            let next = match following {
                // What comes after the run counts towards this end's reach, as the entities
                // after another end do.
                Following::Nothing => {
                    Some(start_after(text, end).and_then(|start| Chain::from(text, start)))
                }
                Following::Group(next) => Chain::from(text, next).map(Some),
                Following::Glue => None,
            };
            if let Some(next) = next {
                let pick = Pick {
                    end,
                    reach: next.map_or(end, |chain| chain.reach),
                    fit,
                    next_evidence: next.map_or(0, |chain| chain.evidence),
                    single_digit_tail: group.len < 2,
                };
                if best.is_none_or(|best| pick.beats(&best)) {
                    best = Some(pick);
                }
            }
        }
        let latest = latest.map(|(end, _)| end);
        match (best, lookahead, trailing) {
            (Some(best), _, _) => Some(best.end),
            (None, Lookahead::Off, _) | (None, _, Trailing::Allowed) => latest,
            (None, Lookahead::NextEntity, Trailing::Refused) => None,
        }
    }
}

/// How well a number that ends at some group fits its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Fit {
    /// Possible, but rarely written: a 6- or 14-digit national number where most have 8 to 11.
    Possible,
    /// As numbers of its kind usually are.
    Typical,
}

/// Whether a number may end before more digit groups of its run that start no entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trailing {
    /// Yes: `+49 151 23456789 12` holds a phone (international numbers are checked against
    /// the numbering plan, which makes a chance match unlikely).
    Allowed,
    /// No: in `DE19 9850 2831 8764 1745 83`, a broken IBAN, `9850 2831 8764 1745` passes the
    /// Luhn check by chance but is not a card.
    Refused,
}

/// Entities that come one after the other, as far as [`pick_end`](DigitGroups::pick_end)
/// follows them.
#[derive(Debug, Clone, Copy)]
struct Chain {
    /// The [`evidence`] of the first.
    evidence: u8,
    /// Where the last ends.
    reach: usize,
}

/// Most entities a [`Chain`] follows: enough to see that an end which lets the next entity
/// reach further leaves the one after it nothing (`+63 100 000 0000 130 0011 0000` then a
/// card), and a bound on the work done per position.
const CHAIN_LENGTH: usize = 3;

impl Chain {
    /// The entities from `start`, each read to its latest end ([`Lookahead::Off`]).
    fn from(text: &[u8], start: usize) -> Option<Self> {
        let (entity, mut reach) = entity_at(text, start, Lookahead::Off)?;
        for _ in 1..CHAIN_LENGTH {
            let Some(next) = start_after(text, reach) else {
                break;
            };
            match entity_at(text, next, Lookahead::Off) {
                Some((_, end)) => reach = end,
                None => break,
            }
        }
        Some(Self {
            evidence: evidence(text, entity, start),
            reach,
        })
    }
}

/// Where an entity could start after one that ends at `end`: past one group separator and a
/// few spaces, commas, semicolons or line breaks, or right at `end` for a plus sign.
fn start_after(text: &[u8], end: usize) -> Option<usize> {
    const GAP: usize = 4;
    let mut start = end + separator_at(text, end, Separators::Phone).unwrap_or(0);
    while start - end < GAP
        && matches!(
            byte_at(text, start),
            b' ' | b',' | b';' | b'\n' | b'\r' | b'\t'
        )
    {
        start += 1;
    }
    (start > end || plus_at(text, start).is_some()).then_some(start)
}

/// How much a match of `entity` at `start` says that it is one: a check digit says most,
/// then a fixed structure or an international prefix (`+`, `00`), then a plausible length.
fn evidence(text: &[u8], entity: Entity, start: usize) -> u8 {
    match entity {
        Entity::Card | Entity::Iban => 3,
        Entity::Ip | Entity::Email => 2,
        Entity::Phone => {
            let zero = |at| digit_at(text, at, Digits::AnyScript).filter(|&(value, _)| value == 0);
            let international = plus_at(text, start).is_some()
                || zero(start).is_some_and(|(_, len)| zero(start + len).is_some());
            if international { 2 } else { 1 }
        }
    }
}

impl fmt::Debug for DigitGroups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lens: Vec<u8> = self.groups().iter().map(|g| g.len).collect();
        f.debug_struct("DigitGroups")
            .field("group_lens", &lens)
            .field("after_last", &self.after_last)
            .finish_non_exhaustive()
    }
}

/// A candidate end being weighed by [`DigitGroups::pick_end`].
#[derive(Debug, Clone, Copy)]
struct Pick {
    end: usize,
    /// Where the entities that follow this end stop ([`Chain`]).
    reach: usize,
    /// How well the number fits its kind when it ends here.
    fit: Fit,
    /// The [`evidence`] of the entity that follows this end (0 for none).
    next_evidence: u8,
    /// Whether the number would end with a group of one digit, which is not how numbers are
    /// written (`+49 151 23456789 1` before `-415-555-0132`).
    single_digit_tail: bool,
}

impl Pick {
    /// Whether this end is better than `other`, an end later in the run. In order:
    ///
    /// 1. it lets the entities after it reach further (they cover the run);
    /// 2. the number fits its kind better when it ends here (in
    ///    `+63 100 000 0054 90000 00000` a 10-digit Philippine number and an Indian one, not
    ///    a 6-digit one and `0054 90000 00000`);
    /// 3. the entity after it has more [`evidence`] (in `+852 100 000 00 001 (200) 200-0000`
    ///    a `00` number after an 8-digit Hong Kong one, rather than an 11-digit one and a US
    ///    number in national form);
    /// 4. the later end would leave a single digit (in `+49 151 23456789 1-415-555-0132`
    ///    the `1` goes with the US number).
    ///
    /// Otherwise the later end stays the better one.
    fn beats(&self, other: &Self) -> bool {
        if self.reach != other.reach {
            return self.reach > other.reach;
        }
        if self.fit != other.fit {
            return self.fit > other.fit;
        }
        if self.next_evidence != other.next_evidence {
            return self.next_evidence > other.next_evidence;
        }
        other.single_digit_tail && !self.single_digit_tail
    }
}

/// The lengths of the first groups of a run, to match against printed groupings.
#[derive(Debug, Clone, Copy)]
pub(super) struct GroupLens {
    lens: [u8; MAX_GROUPS],
    count: usize,
}

impl GroupLens {
    /// The lengths, in order.
    pub(super) fn as_slice(&self) -> &[u8] {
        self.lens.get(..self.count).unwrap_or_default()
    }
}

/// The outcome of reading one group.
enum GroupRead {
    /// A group, stored; the text offset past it.
    Stored(usize),
    /// An `(0)` trunk group, read but not stored; the text offset past it.
    Dropped(usize),
    /// The group would take the run past [`MAX_DIGITS`] or [`MAX_GROUPS`].
    TooLong,
    /// Nothing that is a group here.
    NotAGroup,
}

/// Where the next group of the run starts, after the group that ends at `end`: after one
/// separator, straight after a `)` (`(415)555-0132`), or at a `(` straight after digits
/// (`+44(0)20`).
fn next_group(text: &[u8], end: usize, syntax: Syntax, index: usize) -> Option<usize> {
    let digits = syntax.digits();
    let starts_group = |at: usize| {
        digit_at(text, at, digits).is_some()
            || (syntax.parentheses(index)
                && open_paren_at(text, at)
                    .is_some_and(|open| digit_at(text, at + open, digits).is_some()))
    };
    if let Some(separator) = separator_at(text, end, syntax.separators()) {
        let next = end + separator;
        return starts_group(next).then_some(next);
    }
    let after_paren = end
        .checked_sub(1)
        .is_some_and(|i| close_paren_at(text, i).is_some())
        || end
            .checked_sub(3)
            .is_some_and(|i| close_paren_at(text, i) == Some(3));
    if after_paren && digit_at(text, end, digits).is_some() {
        return Some(end);
    }
    (syntax.parentheses(index) && open_paren_at(text, end).is_some() && starts_group(end))
        .then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHONE: Syntax = Syntax::Phone { drop_trunk: true };

    fn lens(text: &str, syntax: Syntax) -> Vec<u8> {
        DigitGroups::read(text.as_bytes(), 0, syntax)
            .map(|g| g.groups().iter().map(|x| x.len).collect())
            .unwrap_or_default()
    }

    #[test]
    fn groups_and_their_separators() {
        assert_eq!(lens("415-555-0132", PHONE), [3, 3, 4]);
        assert_eq!(lens("(415) 555.0132", PHONE), [3, 3, 4]);
        assert_eq!(lens("(415)555-0132", PHONE), [3, 3, 4]);
        assert_eq!(lens("44 (0)20 7946", PHONE), [2, 2, 4]);
        assert_eq!(lens("44(0)20", PHONE), [2, 2]);
        assert_eq!(lens("12  34", PHONE), [2]);
        assert_eq!(lens("x", PHONE), Vec::<u8>::new());
        assert_eq!(lens("4111 1111.1111", Syntax::Card), [4, 4]);
        assert_eq!(lens("(41) 11", Syntax::Card), Vec::<u8>::new());
        // Parentheses around a later group end the run before it.
        assert_eq!(lens("1 415 (555) 0132", PHONE), [1, 3]);
    }

    #[test]
    fn digits_of_other_scripts_and_typographic_separators() {
        let g = DigitGroups::read("٤٩\u{a0}۱۵۱–२३४५ ６７８９".as_bytes(), 0, PHONE).unwrap();
        assert_eq!(g.digits(99), b"4915123456789");
        assert_eq!(g.groups().len(), 4);
        assert!(DigitGroups::read("٤٩".as_bytes(), 0, Syntax::Card).is_none());
    }

    #[test]
    fn the_trunk_digit_is_dropped_and_glue_is_seen() {
        let g = DigitGroups::read(b"44 (0)20 7946x", 0, PHONE).unwrap();
        assert_eq!(g.digits(99), b"44207946");
        assert_eq!(g.following(2), Following::Glue);
        let g = DigitGroups::read(b"44 (0)20", 0, Syntax::Phone { drop_trunk: false }).unwrap();
        assert_eq!(g.digits(99), b"44020");
        assert_eq!(g.following(2), Following::Nothing);
    }

    #[test]
    fn debug_shows_no_digit() {
        let g = DigitGroups::read(b"+49 151 23456789", 1, PHONE).unwrap();
        let shown = format!("{g:?}");
        assert_eq!(
            shown,
            "DigitGroups { group_lens: [2, 3, 8], after_last: Nothing, .. }"
        );
    }

    #[test]
    fn long_runs_stop_at_the_limits_and_say_what_follows() {
        let text = b"49 151 23456789 4111111111111111";
        let g = DigitGroups::read(text, 0, PHONE).unwrap();
        assert_eq!(g.groups().len(), 3);
        assert_eq!(g.following(1), Following::Group(7));
        assert_eq!(g.following(2), Following::Group(16));
        assert!(DigitGroups::read("1".repeat(MAX_DIGITS + 1).as_bytes(), 0, PHONE).is_none());
        let g = DigitGroups::read(b"1 2 3 4 5 6 7 8 9", 0, PHONE).unwrap();
        assert_eq!(g.groups().len(), MAX_GROUPS);
        assert_eq!(g.following(MAX_GROUPS - 1), Following::Group(16));
    }

    #[test]
    fn the_end_followed_by_another_entity_wins() {
        let text = b"49 151 23456789 4111 1111 1111 1111";
        let g = DigitGroups::read(text, 0, PHONE).unwrap();
        // Every group boundary offered as an end: the card after the third group decides.
        let pick = |lookahead, trailing, is_end: fn(usize) -> bool| {
            g.pick_end(text, lookahead, trailing, |k| {
                is_end(k).then_some(Fit::Typical)
            })
        };
        assert_eq!(
            pick(Lookahead::NextEntity, Trailing::Refused, |_| true),
            Some(15)
        );
        assert_eq!(pick(Lookahead::Off, Trailing::Refused, |_| true), Some(20));
        // No end is followed by an entity or by the end of the run.
        assert_eq!(
            pick(Lookahead::NextEntity, Trailing::Allowed, |k| k < 2),
            Some(6)
        );
        assert_eq!(
            pick(Lookahead::NextEntity, Trailing::Refused, |k| k < 2),
            None
        );
        assert_eq!(pick(Lookahead::Off, Trailing::Refused, |k| k < 2), Some(6));
        assert_eq!(
            pick(Lookahead::NextEntity, Trailing::Allowed, |_| false),
            None
        );
    }
}
