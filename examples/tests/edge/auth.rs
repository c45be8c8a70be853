//! Authentication and refusals: the verify handshake, provider signatures, the body bound,
//! bodies the router rejects, and the optional WASender ingress.

use bytes::Bytes;

use crate::support::{
    Cluster, Options, VERIFY_TOKEN, WASENDER_SECRET, bounded, client, meta_signature, post_meta,
    sample,
};

#[tokio::test]
async fn handshake_echoes_the_challenge_for_the_right_token() {
    bounded(async {
        let c = Cluster::start(Options::default()).await;
        let url = c.edge.url(&format!(
            "/webhook/meta?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
        ));
        let r = client().get(url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "1158201444");
    })
    .await;
}

#[tokio::test]
async fn handshake_is_forbidden_for_a_wrong_token_or_mode() {
    bounded(async {
        let c = Cluster::start(Options::default()).await;
        for query in [
            "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
            &format!("hub.mode=unsubscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"),
            &format!("hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}"),
            "",
        ] {
            let r = client()
                .get(c.edge.url(&format!("/webhook/meta?{query}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403, "{query}");
        }
    })
    .await;
}

#[tokio::test]
async fn missing_or_wrong_signature_is_401_and_nothing_is_sent() {
    bounded(async {
        let c = Cluster::start(Options::default()).await;
        let body = sample("cloud-text-de.json");
        let url = c.edge.url("/webhook/meta");
        let missing = client().post(&url).body(body.clone()).send().await.unwrap();
        assert_eq!(missing.status(), 401);
        let other_body = meta_signature(b"{}");
        for signature in [other_body.as_str(), "sha256=zz", "md5=abc", ""] {
            let r = client()
                .post(&url)
                .header("x-hub-signature-256", signature)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{signature}");
        }
        // A tampered body does not verify under the original's signature.
        let mut tampered = body.to_vec();
        tampered[40] ^= 1;
        let r = client()
            .post(&url)
            .header("x-hub-signature-256", meta_signature(&body))
            .body(tampered)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(c.all_received().is_empty());
    })
    .await;
}

#[tokio::test]
async fn oversized_body_is_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    bounded(async {
        let c = Cluster::start(Options::default()).await;
        // The announced length is over 3 MB: refused before a byte of the body is read.
        let mut s = tokio::net::TcpStream::connect(c.edge.addr).await.unwrap();
        let head = format!(
            "POST /webhook/meta HTTP/1.1\r\nhost: edge\r\nx-hub-signature-256: sha256=00\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            3 * 1024 * 1024 + 1
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        // A body of exactly the bound is read (and refused for its signature, not its size).
        let body = Bytes::from(vec![b' '; 3 * 1024 * 1024]);
        let r = client()
            .post(c.edge.url("/webhook/meta"))
            .header("x-hub-signature-256", "sha256=00")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(c.all_received().is_empty());
    })
    .await;
}

#[tokio::test]
async fn body_with_the_keys_of_both_providers_is_400() {
    bounded(async {
        let c = Cluster::start(Options {
            wasender: true,
            ..Options::default()
        })
        .await;
        let both = Bytes::from_static(
            br#"{"object":"whatsapp_business_account","entry":[],"event":"messages.received","data":{}}"#,
        );
        let r = post_meta(&c.edge, &both, &[]).await;
        assert_eq!(r.status(), 400);
        let text = r.text().await.unwrap();
        assert!(text.starts_with("body rejected"), "{text}");
        let r = client()
            .post(c.edge.url("/webhook/wasender"))
            .header("x-webhook-signature", WASENDER_SECRET)
            .body(both)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // A well-formed body of the other provider is refused at each ingress too.
        let wasender_body = sample("wasender-message-in.json");
        assert_eq!(post_meta(&c.edge, &wasender_body, &[]).await.status(), 400);
        assert_eq!(
            post_meta(&c.edge, &Bytes::from_static(b"not json"), &[]).await.status(),
            400
        );
        assert!(c.all_received().is_empty());
    })
    .await;
}

#[tokio::test]
async fn wasender_is_404_when_not_configured() {
    bounded(async {
        let c = Cluster::start(Options::default()).await;
        let r = client()
            .post(c.edge.url("/webhook/wasender"))
            .header("x-webhook-signature", WASENDER_SECRET)
            .body(sample("wasender-message-in.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert!(c.all_received().is_empty());
    })
    .await;
}

#[tokio::test]
async fn wasender_with_its_secret_is_delivered_and_without_it_is_401() {
    bounded(async {
        let c = Cluster::start(Options {
            wasender: true,
            ..Options::default()
        })
        .await;
        let body = sample("wasender-message-in.json");
        let url = c.edge.url("/webhook/wasender");
        for wrong in [Some("not-the-secret"), None] {
            let mut request = client().post(&url).body(body.clone());
            if let Some(w) = wrong {
                request = request.header("x-webhook-signature", w);
            }
            assert_eq!(request.send().await.unwrap().status(), 401);
        }
        assert!(c.all_received().is_empty());
        let r = client()
            .post(&url)
            .header("x-webhook-signature", WASENDER_SECRET)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // An Indian sender: the INDIA node got the very bytes, with the provider's header.
        let got = c.india.received();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body, body);
        assert_eq!(got[0].verified, Ok(0));
        assert_eq!(got[0].wasender_signature.as_deref(), Some(WASENDER_SECRET));
        assert_eq!(got[0].hub_signature, None);
        assert_eq!(c.all_received().len(), 1);
    })
    .await;
}
