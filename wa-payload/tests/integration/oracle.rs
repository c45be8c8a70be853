//! The byte-level routing scan against the typed model: every item the scan finds is checked
//! against the typed object at the item's position, field by field. The scan is the one
//! implementation of the item rules; this oracle holds it to the model it sits beside (the
//! fuzz target `route` includes this file too).

use wa_payload::cloud::{Notification, Value};
use wa_payload::wasender::{Data, DataElement, Event, MessageKey, Record};
use wa_payload::{Address, Item, ItemKind, Model, Role, Slot, Webhook};

/// Checks every item of `webhook` against its typed model.
pub fn check(webhook: &Webhook<'_>) -> Result<(), String> {
    if let Some(item) = webhook.items().find(|item| webhook.source(item).is_none()) {
        return Err(format!("no typed source for {item:?}"));
    }
    match webhook.model() {
        Model::CloudApi(n) => webhook.items().try_for_each(|item| cloud(n, &item)),
        Model::Wasender(e) => webhook.items().try_for_each(|item| wasender(e, &item)),
        _ => Err("a provider this oracle does not know".into()),
    }
}

fn same<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: scan {got:?}, model {want:?}"))
    }
}

fn cloud(n: &Notification<'_>, item: &Item<'_>) -> Result<(), String> {
    let entry = n.entries().get(item.entry).ok_or("no such entry")?;
    let change = entry.changes().get(item.change).ok_or("no such change")?;
    let value: &Value<'_> = change.value.as_ref().ok_or("no value")?;
    same("field", item.field, change.field.as_deref())?;
    let i = item.index;
    let p = &item.party;
    match item.slot {
        Slot::Messages => {
            let m = value
                .messages
                .as_ref()
                .and_then(|v| v.get(i))
                .ok_or("no message")?;
            same("kind", item.kind, ItemKind::Message)?;
            same("id", item.id, m.id.as_ref().map(|x| x.as_str()))?;
            same("phone", p.phone, m.from.as_ref().map(|x| x.as_str()))?;
            same(
                "user_id",
                p.user_id,
                m.from_user_id.as_ref().map(|x| x.as_str()),
            )?;
            let role = if m.group_id.is_some() {
                Role::Participant
            } else {
                Role::Sender
            };
            same("role", p.role, role)
        }
        Slot::Statuses => {
            let s = value
                .statuses
                .as_ref()
                .and_then(|v| v.get(i))
                .ok_or("no status")?;
            same("id", item.id, s.id.as_ref().map(|x| x.as_str()))?;
            let (phone, uid, role) = if s.is_group() {
                (
                    &s.recipient_participant_id,
                    &s.recipient_participant_user_id,
                    Role::Participant,
                )
            } else {
                (&s.recipient_id, &s.recipient_user_id, Role::Recipient)
            };
            same("phone", p.phone, phone.as_ref().map(|x| x.as_str()))?;
            same("user_id", p.user_id, uid.as_ref().map(|x| x.as_str()))?;
            same("role", p.role, role)
        }
        Slot::Calls => {
            let c = value
                .calls
                .as_ref()
                .and_then(|v| v.get(i))
                .ok_or("no call")?;
            same("id", item.id, c.id.as_ref().map(|x| x.as_str()))?;
            let (phone, uid, role) = if c.is_business_initiated() {
                (&c.to, &c.to_user_id, Role::Recipient)
            } else {
                (&c.from, &c.from_user_id, Role::Sender)
            };
            same("phone", p.phone, phone.as_ref().map(|x| x.as_str()))?;
            same("user_id", p.user_id, uid.as_ref().map(|x| x.as_str()))?;
            same("role", p.role, role)
        }
        Slot::Echoes => {
            let m = value
                .message_echoes
                .as_ref()
                .and_then(|v| v.get(i))
                .ok_or("no echo")?;
            same("id", item.id, m.id.as_ref().map(|x| x.as_str()))?;
            same("phone", p.phone, m.to.as_ref().map(|x| x.as_str()))?;
            same(
                "user_id",
                p.user_id,
                m.to_user_id.as_ref().map(|x| x.as_str()),
            )
        }
        Slot::UserPreferences => {
            let u = value
                .user_preferences
                .as_ref()
                .and_then(|v| v.get(i))
                .ok_or("no preference")?;
            same("phone", p.phone, u.wa_id.as_ref().map(|x| x.as_str()))?;
            same("user_id", p.user_id, u.user_id.as_ref().map(|x| x.as_str()))
        }
        Slot::History { chunk, thread } => {
            let t = history_thread(value, chunk as usize, thread as usize)?;
            let m = t
                .messages
                .as_ref()
                .and_then(|v| v.get(i))
                .ok_or("no history message")?;
            same("id", item.id, m.id.as_ref().map(|x| x.as_str()))?;
            same("phone", p.phone, t.id.as_ref().map(|x| x.as_str()))
        }
        Slot::Thread { chunk } => {
            let t = history_thread(value, chunk as usize, i)?;
            same("kind", item.kind, ItemKind::Contact)?;
            same("phone", p.phone, t.id.as_ref().map(|x| x.as_str()))
        }
        Slot::StateSync => {
            let s = value
                .state_sync
                .as_ref()
                .and_then(|v| v.get(i))
                .ok_or("no sync entry")?;
            let phone = s.contact.as_ref().and_then(|c| c.phone_number.as_ref());
            same("phone", p.phone, phone.map(|x| x.as_str()))
        }
        Slot::Contacts => {
            let c = value
                .contacts
                .as_ref()
                .and_then(|v| v.get(i))
                .ok_or("no contact")?;
            same("phone", p.phone, c.wa_id.as_ref().map(|x| x.as_str()))?;
            same("user_id", p.user_id, c.user_id.as_ref().map(|x| x.as_str()))
        }
        Slot::Change => {
            same("kind", item.kind, ItemKind::Account)?;
            let b = p.business.ok_or("an account item without business")?;
            same("waba_id", b.waba_id, entry.id.as_deref())?;
            same(
                "phone_number_id",
                b.phone_number_id,
                value.phone_number_id(),
            )
        }
        other => Err(format!("a WASender slot in a Cloud API body: {other:?}")),
    }
}

fn history_thread<'m>(
    value: &'m Value<'_>,
    chunk: usize,
    thread: usize,
) -> Result<&'m wa_payload::cloud::HistoryThread<'m>, String> {
    value
        .history
        .as_ref()
        .and_then(|h| h.get(chunk))
        .and_then(|c| c.threads.as_ref())
        .and_then(|t| t.get(thread))
        .ok_or_else(|| "no history thread".into())
}

/// Every address string a WASender object holds in the fields the rules read.
fn addresses<'m>(r: &'m Record<'_>, out: &mut Vec<&'m str>) {
    if let Some(k) = &r.key {
        key_addresses(k, out);
    }
    for j in [&r.from, &r.caller, &r.owner, &r.jid].into_iter().flatten() {
        out.push(j.as_str());
    }
    if let Some(id) = &r.id {
        out.push(id.as_str());
    }
    for inner in [&r.message, &r.call].into_iter().flatten() {
        addresses(inner, out);
    }
    if let Some(m) = &r.messages {
        for x in m.as_slice() {
            element_addresses(x, out);
        }
    }
    for k in r.keys.iter().flatten() {
        key_addresses(k, out);
    }
    for p in r.participants.iter().flatten() {
        element_addresses(p, out);
    }
}

fn key_addresses<'m>(k: &'m MessageKey<'_>, out: &mut Vec<&'m str>) {
    for j in [
        &k.remote_jid,
        &k.participant,
        &k.sender_pn,
        &k.participant_pn,
        &k.sender_lid,
        &k.participant_lid,
    ]
    .into_iter()
    .flatten()
    {
        out.push(j.as_str());
    }
    for p in [&k.cleaned_sender_pn, &k.cleaned_participant_pn]
        .into_iter()
        .flatten()
    {
        out.push(p.as_str());
    }
}

fn element_addresses<'m>(e: &'m DataElement<'_>, out: &mut Vec<&'m str>) {
    match e {
        DataElement::Record(r) => {
            addresses(r, out);
            // Participant objects carry their phone and LID in fields the model keeps raw.
            for key in ["phoneNumber", "lid"] {
                if let Some(s) = r.extra.get(key).and_then(|v| v.as_plain_str()) {
                    out.push(s);
                }
            }
        }
        DataElement::Id(j) => out.push(j.as_str()),
        _ => {}
    }
}

/// A WASender item's phone and LID must be among the addresses of the typed object at its
/// position (or of the whole `data` for whole-body items).
fn wasender(e: &Event<'_>, item: &Item<'_>) -> Result<(), String> {
    same("field", item.field, Some(e.event.as_ref()))?;
    let mut found = Vec::new();
    match &e.data {
        Some(Data::Record(r)) => addresses(r, &mut found),
        Some(Data::List(list)) => list.iter().for_each(|x| element_addresses(x, &mut found)),
        Some(Data::Id(j)) => found.push(j.as_str()),
        _ => {}
    }
    if let Some(phone) = item.party.phone {
        let ok = found
            .iter()
            .any(|a| Address::parse(a).phone() == Some(phone));
        if !ok {
            return Err("a phone the model does not hold".into());
        }
    }
    if let Some(lid) = item.party.lid
        && !found.contains(&lid)
    {
        return Err("a LID the model does not hold".into());
    }
    Ok(())
}
