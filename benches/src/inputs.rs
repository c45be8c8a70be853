//! Bench inputs shared by the criterion groups and the instruction-count workloads, so both
//! measure exactly the same bodies and numbers.

use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumber, PhoneNumberFormat, PhoneNumberType};

/// One Cloud API text message from a German number (~500 bytes), as Meta sends it.
pub const TEXT: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Lena Vogel"},"wa_id":"4915112345678"}],"messages":[{"from":"4915112345678","id":"wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFRgA=","timestamp":"1763719200","type":"text","text":{"body":"Hallo, meine Bestellung 4711 ist noch nicht da. Bitte um Rueckruf."}}]},"field":"messages"}]}]}"#;

/// One Cloud API delivered status to a Brazilian number.
pub const STATUS: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjRBMkY3QjE5RDBGRDk2QjMxAA==","status":"delivered","timestamp":"1763719260","recipient_id":"5511987654321","conversation":{"id":"c3b1f0e2a9d84f5e8a7b6c5d4e3f2a1b","origin":{"type":"utility"}},"pricing":{"billable":true,"pricing_model":"PMP","category":"utility","type":"regular"}}]},"field":"messages"}]}]}"#;

/// A batch of `n` text messages (with their contacts) from the given phone numbers, cycling.
pub fn batch(n: usize, phones: &[&str]) -> String {
    let mut contacts = Vec::new();
    let mut messages = Vec::new();
    for i in 0..n {
        let phone = phones[i % phones.len()];
        contacts.push(format!(
            r#"{{"profile":{{"name":"User {i}"}},"wa_id":"{phone}"}}"#
        ));
        messages.push(format!(
            r#"{{"from":"{phone}","id":"wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIz{i:06}","timestamp":"17637192{:02}","type":"text","text":{{"body":"Message number {i} about order {}"}}}}"#,
            i % 60,
            4000 + i
        ));
    }
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}},"contacts":[{}],"messages":[{}]}},"field":"messages"}}]}}]}}"#,
        contacts.join(","),
        messages.join(",")
    )
}

/// A body of about 3 MB (Meta's maximum; [`wa_payload::Limits`]' default bound is 3 MiB):
/// 1,000 text messages from the given numbers, cycling, each with a long multi-line text in
/// German with a few accented letters (raw UTF-8) and escaped line breaks, as users write them.
pub fn large(phones: &[&str]) -> String {
    const SENTENCE: &str = "Guten Tag, ich habe am Montag eine Bestellung aufgegeben und warte noch auf die Lieferung. Könnten Sie bitte prüfen, wo das Paket gerade ist?\\n";
    const TARGET: usize = 3_000_000;
    let per_message = TARGET / 1000;
    let mut messages = Vec::with_capacity(1000);
    for i in 0..1000 {
        let phone = phones[i % phones.len()];
        let mut text = String::with_capacity(per_message);
        while text.len() + SENTENCE.len() < per_message - 220 {
            text.push_str(SENTENCE);
        }
        messages.push(format!(
            r#"{{"from":"{phone}","id":"wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIz{i:06}","timestamp":"17637192{:02}","type":"text","text":{{"body":"{text}"}}}}"#,
            i % 60
        ));
    }
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}},"messages":[{}]}},"field":"messages"}}]}}]}}"#,
        messages.join(",")
    )
}

/// How many numbers [`numbers`] gives.
pub const COUNT: usize = 10_000;

const TYPES: [PhoneNumberType; 6] = [
    PhoneNumberType::Mobile,
    PhoneNumberType::FixedLine,
    PhoneNumberType::TollFree,
    PhoneNumberType::PremiumRate,
    PhoneNumberType::VoIP,
    PhoneNumberType::UAN,
];

/// 10,000 valid E.164 numbers (with `+`), round-robin over every region: each region's
/// example numbers with their last digits varied, kept only when libphonenumber validates
/// them. Deterministic.
pub fn numbers() -> Vec<String> {
    let mut regions: Vec<_> = PHONE_NUMBER_UTIL.get_supported_regions().collect();
    regions.sort_by_key(|r| r.to_string());
    let mut seeds: Vec<Vec<String>> = regions
        .iter()
        .map(|r| {
            TYPES
                .iter()
                .filter_map(|t| {
                    PHONE_NUMBER_UTIL
                        .get_example_number_for_type_and_region(*r, *t)
                        .ok()
                })
                .map(|n| n.format_as(PhoneNumberFormat::E164).into_owned())
                .collect()
        })
        .collect();
    seeds.retain(|s| !s.is_empty());
    let mut state = 0x2026_1122_u64;
    let mut out = Vec::with_capacity(COUNT);
    let mut attempts = 0;
    'fill: while out.len() < COUNT && attempts < 50 {
        attempts += 1;
        for region_seeds in &seeds {
            for seed in region_seeds {
                let mut bytes = seed.clone().into_bytes();
                let len = bytes.len();
                for d in bytes.iter_mut().skip(len.saturating_sub(4)) {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    *d = b'0' + (state % 10) as u8;
                }
                let candidate = String::from_utf8(bytes).expect("ASCII");
                let valid = candidate.parse::<PhoneNumber>().is_ok_and(|n| n.is_valid());
                if valid {
                    out.push(candidate);
                    if out.len() == COUNT {
                        break 'fill;
                    }
                }
            }
        }
    }
    out
}
