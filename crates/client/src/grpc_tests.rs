use super::*;

#[test]
fn endpoints_parse_as_host_port_with_an_optional_http_prefix() {
    let address = |given: &str| parse_endpoint(given).map(|(address, _)| address);
    assert_eq!(address("127.0.0.1:7101"), Ok("127.0.0.1:7101".to_owned()));
    assert_eq!(address("http://127.0.0.1:7101"), Ok("127.0.0.1:7101".to_owned()));
    assert_eq!(address(" http://node-1.local:80/ "), Ok("node-1.local:80".to_owned()));
    assert_eq!(address("[::1]:7101"), Ok("[::1]:7101".to_owned()));
    for bad in ["", "   ", "127.0.0.1", "https://a:1", "ftp://a:1", "a:1/path", "a:notaport", ":7101", "a b:1"] {
        match parse_endpoint(bad) {
            Err(ClientError::InvalidEndpoint { endpoint, reason }) => {
                assert_eq!(endpoint, bad);
                assert!(!reason.is_empty());
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}

#[test]
fn leader_addresses_are_compared_without_the_scheme() {
    assert_eq!(normalize("http://a:1/"), "a:1");
    assert_eq!(normalize("a:1"), "a:1");
}
