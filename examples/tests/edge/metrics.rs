//! `/health` and `/metrics`.

use crate::support::{Cluster, Eu, Options, bounded, client, post_meta, sample};

#[tokio::test]
async fn health_answers_ok() {
    bounded(async {
        let c = Cluster::start(Options::default()).await;
        let r = client().get(c.edge.url("/health")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "ok");
    })
    .await;
}

#[tokio::test]
async fn metrics_count_requests_verdicts_items_failovers_and_endpoint_health() {
    bounded(async {
        let c = Cluster::start(Options {
            eu: Eu::PrimaryDown,
            ..Options::default()
        })
        .await;
        assert_eq!(
            post_meta(&c.edge, &sample("cloud-mixed-batch.json"), &[])
                .await
                .status(),
            200
        );
        let unsigned = client()
            .post(c.edge.url("/webhook/meta"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(unsigned.status(), 401);
        let r = client().get(c.edge.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        // The EU primary (regions in name order, primary first), whose port is closed: one
        // failure does not open its circuit (three do).
        let eu1 = c.edge.state.deployment().topology().endpoints()[0]
            .as_str()
            .to_owned();
        for line in [
            r#"edge_requests_total{route="/webhook/meta",method="POST",status="200"} 1"#,
            r#"edge_requests_total{route="/webhook/meta",method="POST",status="401"} 1"#,
            r#"edge_verdicts_total{provider="meta",verdict="ack"} 1"#,
            r#"edge_region_items_total{region="EU"} 1"#,
            r#"edge_region_items_total{region="US"} 2"#,
            r#"edge_failovers_total{home_region="EU",kind="endpoint"} 1"#,
            r#"edge_post_duration_seconds_count{provider="meta"} 2"#,
            &format!(
                r#"edge_attempts_total{{endpoint="{eu1}",purpose="deliver",status="none"}} 1"#
            ),
            &format!(r#"edge_endpoint_up{{endpoint="{eu1}"}} 1"#),
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        // The metrics request itself is counted once it is answered.
        let again = client().get(c.edge.url("/metrics")).send().await.unwrap();
        let text = again.text().await.unwrap();
        assert!(
            text.contains(r#"edge_requests_total{route="/metrics",method="GET",status="200"} 1"#),
            "{text}"
        );
        assert!(!text.contains("4915112345678"));
    })
    .await;
}
