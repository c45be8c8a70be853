//! Meta WhatsApp Cloud API webhook models.
//!
//! A body is a [`Notification`]: `object`, `entry[]` (one per WhatsApp Business Account),
//! each with `changes[]` (`field` + [`Value`]). The `messages` field carries [`Message`]s,
//! [`Status`]es, value-level errors, `contacts[]` and `metadata`; `calls`,
//! `smb_message_echoes` and `user_preferences` carry their own arrays; management fields
//! (templates, account updates, phone number updates, ...) keep their fields raw in
//! [`Value::extra`] with a few common ones typed.
//!
//! Every object is lenient: all fields are optional except the envelope (`entry`,
//! `entry[].changes`, `changes[].field`, `changes[].value`), unknown fields are kept, and strings or numbers are
//! accepted where Meta sends either.

use std::borrow::Cow;

use crate::json::{Raw, Redacted, StrOrNum, object};
use crate::pii::{Body, Link, MessageId, Name, Phone, UserId};

object! {
    /// A whole Cloud API webhook body.
    pub struct Notification<'a> {
        /// `whatsapp_business_account` for WhatsApp (some documentation examples omit it).
        "object" => object: Cow<'a, str>,
        /// One entry per WhatsApp Business Account.
        "entry" => entry: Vec<Entry<'a>>,
    }
}

impl<'a> Notification<'a> {
    /// Parses a Cloud API body with the default [`Limits`](crate::Limits): like
    /// [`crate::parse`], and a WASender body is [`PayloadError::WrongProvider`](crate::PayloadError::WrongProvider).
    ///
    /// ```
    /// let n = wa_payload::cloud::Notification::parse(br#"{"object":"whatsapp_business_account","entry":[]}"#)?;
    /// assert_eq!(n.object.as_deref(), Some("whatsapp_business_account"));
    /// # Ok::<(), wa_payload::PayloadError>(())
    /// ```
    pub fn parse(body: &'a [u8]) -> Result<Self, crate::PayloadError> {
        Self::parse_with(body, &crate::Limits::default())
    }

    /// Parses a Cloud API body with the given limits.
    pub fn parse_with(body: &'a [u8], limits: &crate::Limits) -> Result<Self, crate::PayloadError> {
        match crate::parse_with(body, limits)?.into_model() {
            crate::Model::CloudApi(n) => Ok(n),
            _ => Err(crate::PayloadError::WrongProvider {
                found: crate::Provider::Wasender,
            }),
        }
    }

    /// The entries (an empty slice when absent).
    pub fn entries(&self) -> &[Entry<'a>] {
        self.entry.as_deref().unwrap_or_default()
    }
}

object! {
    /// One `entry[]`: the changes of one WhatsApp Business Account.
    pub struct Entry<'a> {
        /// The WhatsApp Business Account id.
        "id" => id: Cow<'a, str>,
        /// Unix time of the entry (string or number).
        "time" => time: StrOrNum<'a>,
        /// The changes.
        "changes" => changes: Vec<Change<'a>>,
    }
}

impl<'a> Entry<'a> {
    /// The changes (an empty slice when absent).
    pub fn changes(&self) -> &[Change<'a>] {
        self.changes.as_deref().unwrap_or_default()
    }
}

object! {
    /// One `changes[]`: a webhook field and its value.
    pub struct Change<'a> {
        /// The webhook field: `messages`, `calls`, `account_update`, ...
        "field" => field: Cow<'a, str>,
        /// The payload.
        "value" => value: Value<'a>,
    }
}

object! {
    /// The `value` of a change. Which fields are present depends on the change's `field`.
    pub struct Value<'a> {
        /// Always `whatsapp`.
        "messaging_product" => messaging_product: Cow<'a, str>,
        /// The business phone number that received or sent.
        "metadata" => metadata: Metadata<'a>,
        /// Profiles of the users in this value (correlate by id with [`Value::contact`]).
        "contacts" => contacts: Vec<Contact<'a>>,
        /// Inbound messages (`messages` field; also `history`).
        "messages" => messages: Vec<Message<'a>>,
        /// Delivery statuses of outbound messages (and call statuses).
        "statuses" => statuses: Vec<Status<'a>>,
        /// Value-level (system, app, account) errors.
        "errors" => errors: Vec<ErrorInfo<'a>>,
        /// Calling API events (`calls` field).
        "calls" => calls: Vec<Call<'a>>,
        /// Messages the business sent from the WhatsApp Business app (`smb_message_echoes`).
        "message_echoes" => message_echoes: Vec<Message<'a>>,
        /// Marketing message preferences (`user_preferences` field).
        "user_preferences" => user_preferences: Vec<UserPreference<'a>>,
        /// History sync chunks (`history` field): threads of messages, each with its user.
        "history" => history: Vec<HistoryChunk<'a>>,
        /// Event name of management fields (`account_update`, template status, security, ...).
        "event" => event: Cow<'a, str>,
        /// Template id of template updates.
        "message_template_id" => message_template_id: StrOrNum<'a>,
        /// Template name of template updates.
        "message_template_name" => message_template_name: Cow<'a, str>,
        /// Template language of template updates.
        "message_template_language" => message_template_language: Cow<'a, str>,
        /// Reason of template and account updates.
        "reason" => reason: Cow<'a, str>,
        /// Decision of review updates.
        "decision" => decision: Cow<'a, str>,
        /// Business display number of phone number updates: the business's own number, not
        /// a person's, so it is plain data (maskers keep it).
        "display_phone_number" => display_phone_number: Cow<'a, str>,
        /// Template category (`message_template_status_update`).
        "message_template_category" => message_template_category: Cow<'a, str>,
        /// Template rejection details.
        "rejection_info" => rejection_info: Box<RejectionInfo<'a>>,
        /// Template or phone quality before the update.
        "previous_quality_score" => previous_quality_score: Cow<'a, str>,
        /// Template or phone quality after the update.
        "new_quality_score" => new_quality_score: Cow<'a, str>,
        /// Template category before the update (`template_category_update`).
        "previous_category" => previous_category: Cow<'a, str>,
        /// Template category after the update.
        "new_category" => new_category: Cow<'a, str>,
        /// Category the template will get (impending updates).
        "correct_category" => correct_category: Cow<'a, str>,
        /// When the category changes.
        "category_update_timestamp" => category_update_timestamp: StrOrNum<'a>,
        /// WhatsApp Business Account details (`account_update`).
        "waba_info" => waba_info: Box<WabaInfo<'a>>,
        /// Violation details (`account_update`).
        "violation_info" => violation_info: Raw<'a>,
        /// Ban details (`account_update`).
        "ban_info" => ban_info: Raw<'a>,
        /// Restrictions (`account_update`).
        "restriction_info" => restriction_info: Raw<'a>,
        /// Country (`account_update` primary business location).
        "country" => country: Cow<'a, str>,
        /// Messaging limit (`phone_number_quality_update`).
        "current_limit" => current_limit: Cow<'a, str>,
        /// Requested display name (`phone_number_name_update`).
        "requested_verified_name" => requested_verified_name: Cow<'a, str>,
        /// Who asked for a PIN reset (`security`).
        "requester" => requester: Phone<'a>,
        /// Alert details (`account_alerts`).
        "alert_info" => alert_info: Raw<'a>,
        /// Entity of an alert.
        "entity_id" => entity_id: Cow<'a, str>,
        /// Entity type of an alert.
        "entity_type" => entity_type: Cow<'a, str>,
        /// Partner solution id (`partner_solutions`).
        "solution_id" => solution_id: Cow<'a, str>,
        /// Partner solution status.
        "solution_status" => solution_status: Cow<'a, str>,
        /// Group updates (`group_*` fields), kept raw.
        "groups" => groups: Raw<'a>,
        /// SMB app contact sync (`smb_app_state_sync`): the business app's contacts.
        "state_sync" => state_sync: Vec<StateSync<'a>>,
    }
}

object! {
    /// `rejection_info` of a template status update.
    pub struct RejectionInfo<'a> {
        /// Reason.
        "reason" => reason: Cow<'a, str>,
        /// Recommendation.
        "recommendation" => recommendation: Cow<'a, str>,
    }
}

object! {
    /// `waba_info` of an `account_update`.
    pub struct WabaInfo<'a> {
        /// The WhatsApp Business Account id.
        "waba_id" => waba_id: Cow<'a, str>,
        /// Owner business id.
        "owner_business_id" => owner_business_id: Cow<'a, str>,
        /// Partner app id.
        "partner_app_id" => partner_app_id: Cow<'a, str>,
        /// Solution id.
        "solution_id" => solution_id: Cow<'a, str>,
        /// Solution partner business ids.
        "solution_partner_business_ids" => solution_partner_business_ids: Vec<Cow<'a, str>>,
        /// Linked ad account.
        "ad_account_linked" => ad_account_linked: Cow<'a, str>,
    }
}

object! {
    /// One `history[]` chunk of a history sync.
    pub struct HistoryChunk<'a> {
        /// Sync phase, chunk order and progress, kept raw.
        "metadata" => metadata: Raw<'a>,
        /// The conversations of this chunk.
        "threads" => threads: Vec<HistoryThread<'a>>,
    }
}

object! {
    /// One conversation of a history chunk: the user and the messages exchanged.
    pub struct HistoryThread<'a> {
        /// The user's WhatsApp id (phone digits).
        "id" => id: Phone<'a>,
        /// The messages, from either side (`from` is the business's number for its own).
        "messages" => messages: Vec<Message<'a>>,
    }
}

object! {
    /// One `state_sync[]` entry: a change to the business app's contact book.
    pub struct StateSync<'a> {
        /// `contact`.
        "type" => sync_type: Cow<'a, str>,
        /// The contact.
        "contact" => contact: SyncContact<'a>,
        /// `add`, `edit`, `remove`.
        "action" => action: Cow<'a, str>,
        /// Timestamps, kept raw.
        "metadata" => metadata: Raw<'a>,
    }
}

object! {
    /// A contact of the business app's contact book.
    pub struct SyncContact<'a> {
        /// Full name.
        "full_name" => full_name: Name<'a>,
        /// First name.
        "first_name" => first_name: Name<'a>,
        /// Phone digits.
        "phone_number" => phone_number: Phone<'a>,
    }
}

impl<'a> Value<'a> {
    /// The contact whose `wa_id` or `user_id` equals `id` (never correlate by index).
    ///
    /// ```
    /// let n = wa_payload::cloud::Notification::parse(br#"{"object":"w","entry":[{"id":"1","changes":[
    ///   {"field":"messages","value":{"contacts":[{"profile":{"name":"A"},"user_id":"US.1"},
    ///   {"profile":{"name":"B"},"wa_id":"4915112345678"}]}}]}]}"#)?;
    /// let value = n.entries()[0].changes()[0].value.as_ref().unwrap();
    /// let b = value.contact("4915112345678").unwrap();
    /// assert_eq!(b.profile.as_ref().and_then(|p| p.name.as_ref()).map(|n| n.as_str()), Some("B"));
    /// assert!(value.contact("US.1").is_some());
    /// assert!(value.contact("US.2").is_none());
    /// # Ok::<(), wa_payload::PayloadError>(())
    /// ```
    pub fn contact(&self, id: &str) -> Option<&Contact<'a>> {
        self.contacts.as_deref()?.iter().find(|c| {
            c.wa_id.as_ref().is_some_and(|w| w.as_str() == id)
                || c.user_id.as_ref().is_some_and(|u| u.as_str() == id)
        })
    }

    /// The management event name (`event` of `account_update`, template updates, ...).
    pub fn event(&self) -> Option<&str> {
        self.event.as_deref()
    }

    /// The business phone number id from `metadata`.
    pub fn phone_number_id(&self) -> Option<&str> {
        self.metadata.as_ref()?.phone_number_id.as_deref()
    }
}

object! {
    /// The business phone number of a value.
    pub struct Metadata<'a> {
        /// The business's display number: the business's own number, not a person's, so it
        /// is plain data (maskers keep it, and a masked body still names its business).
        "display_phone_number" => display_phone_number: Cow<'a, str>,
        /// The business phone number id.
        "phone_number_id" => phone_number_id: Cow<'a, str>,
    }
}

object! {
    /// One `contacts[]` profile.
    pub struct Contact<'a> {
        /// The user's profile.
        "profile" => profile: Profile<'a>,
        /// The user's WhatsApp id (phone digits); absent for username-only users.
        "wa_id" => wa_id: Phone<'a>,
        /// Business-scoped user id (`CC.xxxx`).
        "user_id" => user_id: UserId<'a>,
        /// Parent business-scoped user id.
        "parent_user_id" => parent_user_id: UserId<'a>,
        /// Hash of the user's identity key.
        "identity_key_hash" => identity_key_hash: Redacted<Cow<'a, str>>,
    }
}

object! {
    /// A contact's profile.
    pub struct Profile<'a> {
        /// Display name.
        "name" => name: Name<'a>,
        /// Username (`@name`).
        "username" => username: Name<'a>,
    }
}

/// The `type` of a [`Message`], borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageType<'m> {
    /// `text`
    Text,
    /// `image`
    Image,
    /// `audio` (voice notes carry `audio.voice`)
    Audio,
    /// `video`
    Video,
    /// `document`
    Document,
    /// `sticker`
    Sticker,
    /// `location`
    Location,
    /// `contacts`
    Contacts,
    /// `interactive` (button, list, flow, call permission replies)
    Interactive,
    /// `button` (template quick reply)
    Button,
    /// `reaction`
    Reaction,
    /// `order`
    Order,
    /// `system`
    System,
    /// `edit`
    Edit,
    /// `revoke`
    Revoke,
    /// `unsupported`
    Unsupported,
    /// `unknown` (legacy name of `unsupported`)
    Unknown,
    /// `request_welcome`
    RequestWelcome,
    /// Any other type, as sent.
    Other(&'m str),
}

impl<'m> MessageType<'m> {
    /// Reads a wire type name.
    ///
    /// ```
    /// use wa_payload::cloud::MessageType;
    /// assert_eq!(MessageType::from_wire("text"), MessageType::Text);
    /// assert_eq!(MessageType::from_wire("hologram"), MessageType::Other("hologram"));
    /// ```
    pub fn from_wire(s: &'m str) -> Self {
        match s {
            "text" => Self::Text,
            "image" => Self::Image,
            "audio" => Self::Audio,
            "video" => Self::Video,
            "document" => Self::Document,
            "sticker" => Self::Sticker,
            "location" => Self::Location,
            "contacts" => Self::Contacts,
            "interactive" => Self::Interactive,
            "button" => Self::Button,
            "reaction" => Self::Reaction,
            "order" => Self::Order,
            "system" => Self::System,
            "edit" => Self::Edit,
            "revoke" => Self::Revoke,
            "unsupported" => Self::Unsupported,
            "unknown" => Self::Unknown,
            "request_welcome" => Self::RequestWelcome,
            other => Self::Other(other),
        }
    }
}

object! {
    /// An inbound message (also used for `message_echoes[]`, history messages and the
    /// `message` of an edit). Its content is in the field named by `type`.
    pub struct Message<'a> {
        /// Sender's phone digits (absent for username-only users).
        "from" => from: Phone<'a>,
        /// Sender's business-scoped user id.
        "from_user_id" => from_user_id: UserId<'a>,
        /// Sender's parent business-scoped user id.
        "from_parent_user_id" => from_parent_user_id: UserId<'a>,
        /// Recipient of an echo.
        "to" => to: Phone<'a>,
        /// Recipient user id of an echo.
        "to_user_id" => to_user_id: UserId<'a>,
        /// Recipient parent user id of an echo.
        "to_parent_user_id" => to_parent_user_id: UserId<'a>,
        /// The message id (`wamid.…`).
        "id" => id: MessageId<'a>,
        /// Unix time (string or number; placeholders kept).
        "timestamp" => timestamp: StrOrNum<'a>,
        /// The message type (see [`Message::kind`]).
        "type" => message_type: Cow<'a, str>,
        /// The group, for group messages: an id of the same form as a message id, which
        /// can encode a phone number.
        "group_id" => group_id: MessageId<'a>,
        /// The message replied to or forwarded.
        "context" => context: Box<Context<'a>>,
        /// Click-to-WhatsApp ad referral.
        "referral" => referral: Box<Referral<'a>>,
        /// Errors (unsupported messages).
        "errors" => errors: Vec<ErrorInfo<'a>>,
        /// Identity change information.
        "identity" => identity: Box<Identity<'a>>,
        /// `text` content.
        "text" => text: Text<'a>,
        /// `image` content.
        "image" => image: Box<Media<'a>>,
        /// `audio` content (`voice` for voice notes).
        "audio" => audio: Box<Media<'a>>,
        /// `video` content.
        "video" => video: Box<Media<'a>>,
        /// `document` content.
        "document" => document: Box<Media<'a>>,
        /// `sticker` content.
        "sticker" => sticker: Box<Media<'a>>,
        /// `location` content.
        "location" => location: Box<Location<'a>>,
        /// `contacts` content (shared contact cards), kept raw.
        "contacts" => contacts: Raw<'a>,
        /// `interactive` reply.
        "interactive" => interactive: Box<Interactive<'a>>,
        /// `button` (template quick reply).
        "button" => button: Box<Button<'a>>,
        /// `reaction` content.
        "reaction" => reaction: Box<Reaction<'a>>,
        /// `order` content.
        "order" => order: Box<Order<'a>>,
        /// `system` content.
        "system" => system: Box<System<'a>>,
        /// `edit`: the edited message.
        "edit" => edit: Box<Edit<'a>>,
        /// `revoke`: the deleted message.
        "revoke" => revoke: Box<Revoke<'a>>,
        /// `unsupported` details.
        "unsupported" => unsupported: Box<Unsupported<'a>>,
        /// History sync context (`history` messages).
        "history_context" => history_context: Raw<'a>,
    }
}

impl Message<'_> {
    /// The message type, or `None` when `type` is absent.
    pub fn kind(&self) -> Option<MessageType<'_>> {
        self.message_type.as_deref().map(MessageType::from_wire)
    }
}

object! {
    /// `context` of a message.
    pub struct Context<'a> {
        /// Sender of the message replied to.
        "from" => from: Phone<'a>,
        /// Id of the message replied to.
        "id" => id: MessageId<'a>,
        /// Forwarded.
        "forwarded" => forwarded: bool,
        /// Forwarded many times.
        "frequently_forwarded" => frequently_forwarded: bool,
        /// Product the user asked about.
        "referred_product" => referred_product: Raw<'a>,
    }
}

object! {
    /// `referral` of a message (click-to-WhatsApp ads).
    pub struct Referral<'a> {
        /// Ad URL.
        "source_url" => source_url: Link<'a>,
        /// Ad id.
        "source_id" => source_id: Cow<'a, str>,
        /// `ad` or `post`.
        "source_type" => source_type: Cow<'a, str>,
        /// Ad body (redacted in `Debug` like any body).
        "body" => body: Body<'a>,
        /// Ad headline.
        "headline" => headline: Body<'a>,
        /// `image` or `video`.
        "media_type" => media_type: Cow<'a, str>,
        /// Image URL.
        "image_url" => image_url: Link<'a>,
        /// Video URL.
        "video_url" => video_url: Link<'a>,
        /// Thumbnail URL.
        "thumbnail_url" => thumbnail_url: Link<'a>,
        /// Click id.
        "ctwa_clid" => ctwa_clid: Redacted<Cow<'a, str>>,
    }
}

object! {
    /// An error object (`errors[]` of values, messages, statuses, calls).
    pub struct ErrorInfo<'a> {
        /// Error code (a number, or a string in group webhooks).
        "code" => code: StrOrNum<'a>,
        /// Title.
        "title" => title: Cow<'a, str>,
        /// Message.
        "message" => message: Cow<'a, str>,
        /// Legacy details.
        "details" => details: Body<'a>,
        /// Documentation link.
        "href" => href: Cow<'a, str>,
        /// `error_data.details`, kept raw.
        "error_data" => error_data: Raw<'a>,
    }
}

object! {
    /// `identity` of a message (identity key changes).
    pub struct Identity<'a> {
        /// Whether the change was acknowledged.
        "acknowledged" => acknowledged: bool,
        /// When the identity changed.
        "created_timestamp" => created_timestamp: StrOrNum<'a>,
        /// Identity hash.
        "hash" => hash: Redacted<Cow<'a, str>>,
    }
}

object! {
    /// `text` content.
    pub struct Text<'a> {
        /// The text.
        "body" => body: Body<'a>,
    }
}

object! {
    /// Media content (`image`, `audio`, `video`, `document`, `sticker`).
    pub struct Media<'a> {
        /// Media id.
        "id" => id: Cow<'a, str>,
        /// MIME type.
        "mime_type" => mime_type: Cow<'a, str>,
        /// SHA-256 of the file as sent (base64 usually; hex or placeholders kept).
        "sha256" => sha256: Cow<'a, str>,
        /// Caption.
        "caption" => caption: Body<'a>,
        /// Document file name.
        "filename" => filename: Body<'a>,
        /// Download URL (newer API versions).
        "url" => url: Link<'a>,
        /// Voice note (`audio`).
        "voice" => voice: bool,
        /// Animated sticker.
        "animated" => animated: bool,
        /// File size in bytes, when sent (string or number).
        "file_size" => file_size: StrOrNum<'a>,
    }
}

object! {
    /// `location` content. Every field is personal data.
    pub struct Location<'a> {
        /// Latitude (number or string).
        "latitude" => latitude: Redacted<StrOrNum<'a>>,
        /// Longitude (number or string).
        "longitude" => longitude: Redacted<StrOrNum<'a>>,
        /// Place name.
        "name" => name: Body<'a>,
        /// Address.
        "address" => address: Body<'a>,
        /// URL.
        "url" => url: Body<'a>,
    }
}

object! {
    /// `interactive` reply.
    pub struct Interactive<'a> {
        /// `button_reply`, `list_reply`, `nfm_reply`, `call_permission_reply`.
        "type" => reply_type: Cow<'a, str>,
        /// Reply button.
        "button_reply" => button_reply: Reply<'a>,
        /// List row.
        "list_reply" => list_reply: Reply<'a>,
        /// Flow (native flow message) reply.
        "nfm_reply" => nfm_reply: FlowReply<'a>,
        /// Call permission reply.
        "call_permission_reply" => call_permission_reply: CallPermissionReply<'a>,
    }
}

object! {
    /// A button or list reply.
    pub struct Reply<'a> {
        /// Developer id of the choice.
        "id" => id: Cow<'a, str>,
        /// Title.
        "title" => title: Body<'a>,
        /// Description (list rows).
        "description" => description: Body<'a>,
    }
}

object! {
    /// A flow reply.
    pub struct FlowReply<'a> {
        /// Flow name.
        "name" => name: Cow<'a, str>,
        /// Text shown to the user.
        "body" => body: Body<'a>,
        /// The user's answers as a JSON string.
        "response_json" => response_json: Body<'a>,
    }
}

object! {
    /// A call permission reply.
    pub struct CallPermissionReply<'a> {
        /// `accept` or `reject`.
        "response" => response: Cow<'a, str>,
        /// Until when the permission holds.
        "expiration_timestamp" => expiration_timestamp: StrOrNum<'a>,
        /// Where the answer came from.
        "response_source" => response_source: Cow<'a, str>,
    }
}

object! {
    /// `button` content (quick reply to a template).
    pub struct Button<'a> {
        /// Developer payload.
        "payload" => payload: Body<'a>,
        /// Button text.
        "text" => text: Body<'a>,
    }
}

object! {
    /// `reaction` content (an absent or empty emoji removes the reaction).
    pub struct Reaction<'a> {
        /// Message reacted to.
        "message_id" => message_id: MessageId<'a>,
        /// The emoji.
        "emoji" => emoji: Body<'a>,
    }
}

object! {
    /// `order` content.
    pub struct Order<'a> {
        /// Catalog id.
        "catalog_id" => catalog_id: Cow<'a, str>,
        /// The user's note.
        "text" => text: Body<'a>,
        /// Items (prices and quantities as strings or numbers), kept raw.
        "product_items" => product_items: Raw<'a>,
    }
}

object! {
    /// `system` content (number or identity changes).
    pub struct System<'a> {
        /// Description.
        "body" => body: Body<'a>,
        /// `user_changed_number`, `customer_identity_changed`, ...
        "type" => system_type: Cow<'a, str>,
        /// The new WhatsApp id.
        "wa_id" => wa_id: Phone<'a>,
        /// Legacy: the user concerned.
        "customer" => customer: Phone<'a>,
        /// Identity hash.
        "identity" => identity: Cow<'a, str>,
        /// New business-scoped user id.
        "user_id" => user_id: UserId<'a>,
    }
}

object! {
    /// `edit` content.
    pub struct Edit<'a> {
        /// Id of the edited message.
        "original_message_id" => original_message_id: MessageId<'a>,
        /// The new content.
        "message" => message: Box<Message<'a>>,
    }
}

object! {
    /// `revoke` content.
    pub struct Revoke<'a> {
        /// Id of the deleted message.
        "original_message_id" => original_message_id: MessageId<'a>,
    }
}

object! {
    /// `unsupported` details.
    pub struct Unsupported<'a> {
        /// The type WhatsApp could not deliver.
        "type" => unsupported_type: Cow<'a, str>,
    }
}

/// The `status` of a [`Status`], borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusKind<'m> {
    /// `sent`
    Sent,
    /// `delivered`
    Delivered,
    /// `read`
    Read,
    /// `failed`
    Failed,
    /// `played` (voice notes)
    Played,
    /// Any other value (`deleted`, call statuses such as `RINGING`, ...), as sent.
    Other(&'m str),
}

object! {
    /// One `statuses[]`: a delivery status of an outbound message (or a call status).
    pub struct Status<'a> {
        /// Message id.
        "id" => id: MessageId<'a>,
        /// Status (see [`Status::kind`]).
        "status" => status: Cow<'a, str>,
        /// Unix time (string or number; placeholders kept).
        "timestamp" => timestamp: StrOrNum<'a>,
        /// Recipient phone (the group id for group statuses).
        "recipient_id" => recipient_id: Phone<'a>,
        /// Recipient business-scoped user id.
        "recipient_user_id" => recipient_user_id: UserId<'a>,
        /// Recipient parent user id.
        "parent_recipient_user_id" => parent_recipient_user_id: UserId<'a>,
        /// Parent user id (older name).
        "parent_user_id" => parent_user_id: UserId<'a>,
        /// `individual` or `group`.
        "recipient_type" => recipient_type: Cow<'a, str>,
        /// Group participant phone.
        "recipient_participant_id" => recipient_participant_id: Phone<'a>,
        /// Group participant user id.
        "recipient_participant_user_id" => recipient_participant_user_id: UserId<'a>,
        /// Group participant parent user id.
        "recipient_participant_parent_user_id" => recipient_participant_parent_user_id: UserId<'a>,
        /// Conversation.
        "conversation" => conversation: Box<Conversation<'a>>,
        /// Pricing.
        "pricing" => pricing: Box<Pricing<'a>>,
        /// Errors of failed messages.
        "errors" => errors: Vec<ErrorInfo<'a>>,
        /// Data the business attached when sending.
        "biz_opaque_callback_data" => biz_opaque_callback_data: Redacted<Cow<'a, str>>,
        /// `call` for call statuses.
        "type" => status_type: Cow<'a, str>,
    }
}

impl Status<'_> {
    /// The status, or `None` when absent.
    pub fn kind(&self) -> Option<StatusKind<'_>> {
        self.status.as_deref().map(|s| match s {
            "sent" => StatusKind::Sent,
            "delivered" => StatusKind::Delivered,
            "read" => StatusKind::Read,
            "failed" => StatusKind::Failed,
            "played" => StatusKind::Played,
            other => StatusKind::Other(other),
        })
    }

    /// Whether this is a group status (`recipient_type` is `group`).
    pub fn is_group(&self) -> bool {
        self.recipient_type.as_deref() == Some("group")
    }
}

object! {
    /// `conversation` of a status.
    pub struct Conversation<'a> {
        /// Conversation id.
        "id" => id: Cow<'a, str>,
        /// When the conversation window ends.
        "expiration_timestamp" => expiration_timestamp: StrOrNum<'a>,
        /// `origin.type`, kept raw.
        "origin" => origin: Raw<'a>,
    }
}

object! {
    /// `pricing` of a status.
    pub struct Pricing<'a> {
        /// Billable.
        "billable" => billable: bool,
        /// `CBP`, `PMP`, ...
        "pricing_model" => pricing_model: Cow<'a, str>,
        /// Category.
        "category" => category: Cow<'a, str>,
        /// `regular`, `free_customer_service`, ...
        "type" => pricing_type: Cow<'a, str>,
    }
}

object! {
    /// One `calls[]` event of the Calling API.
    pub struct Call<'a> {
        /// Call id (`wacid.…`).
        "id" => id: MessageId<'a>,
        /// Caller.
        "from" => from: Phone<'a>,
        /// Callee.
        "to" => to: Phone<'a>,
        /// Caller user id.
        "from_user_id" => from_user_id: UserId<'a>,
        /// Callee user id.
        "to_user_id" => to_user_id: UserId<'a>,
        /// `connect`, `terminate`, ...
        "event" => event: Cow<'a, str>,
        /// Unix time.
        "timestamp" => timestamp: StrOrNum<'a>,
        /// `USER_INITIATED` or `BUSINESS_INITIATED`.
        "direction" => direction: Cow<'a, str>,
        /// Call status.
        "status" => status: Cow<'a, str>,
        /// Start time.
        "start_time" => start_time: StrOrNum<'a>,
        /// End time.
        "end_time" => end_time: StrOrNum<'a>,
        /// Duration in seconds.
        "duration" => duration: StrOrNum<'a>,
        /// SDP session, kept raw.
        "session" => session: Raw<'a>,
        /// Business callback data.
        "biz_opaque_callback_data" => biz_opaque_callback_data: Redacted<Cow<'a, str>>,
        /// Errors.
        "errors" => errors: Vec<ErrorInfo<'a>>,
    }
}

impl Call<'_> {
    /// Whether the business placed the call (`direction` is `BUSINESS_INITIATED`).
    pub fn is_business_initiated(&self) -> bool {
        self.direction.as_deref() == Some("BUSINESS_INITIATED")
    }
}

object! {
    /// One `user_preferences[]`.
    pub struct UserPreference<'a> {
        /// User's WhatsApp id.
        "wa_id" => wa_id: Phone<'a>,
        /// User's business-scoped id.
        "user_id" => user_id: UserId<'a>,
        /// Details.
        "detail" => detail: Cow<'a, str>,
        /// `marketing_messages`.
        "category" => category: Cow<'a, str>,
        /// `stop` or `resume`.
        "value" => value: Cow<'a, str>,
        /// Unix time.
        "timestamp" => timestamp: StrOrNum<'a>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(json: &str) -> Value<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn message_kinds_and_unknown_types() {
        let v = value(
            r#"{"messages":[{"id":"a","type":"text","text":{"body":"hi"}},
            {"id":"b","type":"hologram","hologram":{"x":1}}]}"#,
        );
        let msgs = v.messages.as_ref().unwrap();
        assert_eq!(msgs[0].kind(), Some(MessageType::Text));
        assert_eq!(msgs[1].kind(), Some(MessageType::Other("hologram")));
        assert!(msgs[1].extra.get("hologram").is_some());
    }

    #[test]
    fn unknown_status_is_kept() {
        let v = value(r#"{"statuses":[{"id":"a","status":"deleted"},{"id":"b","status":"read"}]}"#);
        let s = v.statuses.as_ref().unwrap();
        assert_eq!(s[0].kind(), Some(StatusKind::Other("deleted")));
        assert_eq!(s[1].kind(), Some(StatusKind::Read));
    }

    #[test]
    fn null_on_typed_field_round_trips() {
        let json = r#"{"display_phone_number":null,"event":"X"}"#;
        let v = value(json);
        assert!(v.display_phone_number.is_none());
        let back: serde_json::Value = serde_json::to_value(&v).unwrap();
        let orig: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back, orig);
    }

    #[test]
    fn account_update_is_typed() {
        let v = value(
            r#"{"event":"PARTNER_ADDED","waba_info":{"waba_id":"980","solution_partner_business_ids":["1","2"]},"rejection_reason":null}"#,
        );
        assert_eq!(v.event(), Some("PARTNER_ADDED"));
        let info = v.waba_info.as_ref().unwrap();
        assert_eq!(info.waba_id.as_deref(), Some("980"));
        assert_eq!(
            info.solution_partner_business_ids.as_ref().map(Vec::len),
            Some(2)
        );
        assert!(v.extra.get("rejection_reason").unwrap().is_null());
    }

    #[test]
    fn location_is_redacted() {
        let v = value(
            r#"{"messages":[{"location":{"latitude":52.52,"longitude":"13.40","name":"Home"}}]}"#,
        );
        let dbg = format!("{v:?}");
        assert!(
            !dbg.contains("52.52") && !dbg.contains("13.40") && !dbg.contains("Home"),
            "{dbg}"
        );
    }
}
