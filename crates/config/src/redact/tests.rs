//! Unit tests for `redact`: source parsing, FFmpeg URL building and redaction.
//! Must not: touch the filesystem or the network.

use super::*;

const NASTY: &str = "p@ss:w/rd%#?ü x";

fn network(s: &str) -> CameraUrl {
    match parse_source(s) {
        Ok(SourceSpec::Network(url)) => url,
        other => panic!("expected network source for {s}, got {other:?}"),
    }
}

#[test]
fn parses_plain_rtsp_url() {
    let url = network("rtsp://10.0.0.5:554/Streaming/Channels/101?transport=tcp");
    assert_eq!(url.scheme, Scheme::Rtsp);
    assert_eq!(url.host, "10.0.0.5");
    assert_eq!(url.port, Some(554));
    assert_eq!(url.path_and_query, "/Streaming/Channels/101?transport=tcp");
    assert_eq!(
        url.to_string(),
        "rtsp://10.0.0.5:554/Streaming/Channels/101?transport=tcp"
    );
}

#[test]
fn scheme_is_case_insensitive() {
    assert_eq!(network("RTSP://cam/x").scheme, Scheme::Rtsp);
    assert_eq!(network("RtSpS://cam").scheme, Scheme::Rtsps);
    assert_eq!(network("rtsps://cam").to_string(), "rtsps://cam");
}

#[test]
fn parses_ipv6_literals() {
    let url = network("rtsp://[fe80::1]:8554/live");
    assert_eq!(url.host, "fe80::1");
    assert_eq!(url.port, Some(8554));
    assert_eq!(url.to_string(), "rtsp://[fe80::1]:8554/live");
    let url = network("rtsp://[::1]/live");
    assert_eq!(url.port, None);
    assert_eq!(url.to_string(), "rtsp://[::1]/live");
    assert_eq!(network("rtsp://[fe80::1%25eth0]/x").host, "fe80::1%25eth0");
    assert!(matches!(
        parse_source("rtsp://[::1/x"),
        Err(UrlError::InvalidHost { .. })
    ));
    assert!(matches!(
        parse_source("rtsp://[zz::1]/x"),
        Err(UrlError::InvalidHost { .. })
    ));
    assert!(matches!(
        parse_source("rtsp://[::1]x/x"),
        Err(UrlError::InvalidHost { .. })
    ));
}

#[test]
fn file_sources() {
    assert_eq!(
        parse_source("/srv/demo/lobby.mp4"),
        Ok(SourceSpec::File("/srv/demo/lobby.mp4".into()))
    );
    assert_eq!(
        parse_source("demo/my clip.mp4"),
        Ok(SourceSpec::File("demo/my clip.mp4".into()))
    );
    assert_eq!(
        parse_source("file:///srv/a%20b.mp4"),
        Ok(SourceSpec::File("/srv/a b.mp4".into()))
    );
    assert_eq!(
        parse_source("FILE://localhost/x.mp4"),
        Ok(SourceSpec::File("/x.mp4".into()))
    );
    assert!(matches!(
        parse_source("file://server/x.mp4"),
        Err(UrlError::RemoteFile { .. })
    ));
    for remote in ["file://localhostevil/x.mp4", "file://", "file://localhost"] {
        assert!(
            matches!(parse_source(remote), Err(UrlError::RemoteFile { .. })),
            "{remote}"
        );
    }
    assert!(matches!(
        parse_source("a\u{7}b.mp4"),
        Err(UrlError::ForbiddenCharacter { .. })
    ));
    assert_eq!(parse_source(""), Err(UrlError::Empty));
}

#[test]
fn unsupported_schemes_are_errors() {
    for s in ["http://cam/x", "rtmp://cam/live", "udp://239.0.0.1:1234"] {
        let err = parse_source(s).expect_err(s);
        assert!(
            matches!(err, UrlError::UnsupportedScheme { .. }),
            "{s}: {err:?}"
        );
    }
    let err = parse_source("http://admin:hunter2@cam/x").expect_err("http");
    let msg = err.to_string();
    assert!(msg.contains("`http`"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[test]
fn host_and_port_errors() {
    assert!(matches!(
        parse_source("rtsp:///path"),
        Err(UrlError::EmptyHost { .. })
    ));
    assert!(matches!(
        parse_source("rtsp://:554/path"),
        Err(UrlError::EmptyHost { .. })
    ));
    assert!(matches!(
        parse_source("rtsp://admin:pw@/x"),
        Err(UrlError::EmptyHost { .. })
    ));
    assert!(matches!(
        parse_source("rtsp://cam:0/x"),
        Err(UrlError::PortOutOfRange { .. })
    ));
    assert!(matches!(
        parse_source("rtsp://cam:/x"),
        Err(UrlError::InvalidPort { .. })
    ));
    assert!(matches!(
        parse_source("rtsp://cam:ab/x"),
        Err(UrlError::InvalidPort { .. })
    ));
    assert!(matches!(
        parse_source("rtsp://ca$m/x"),
        Err(UrlError::InvalidHost { .. })
    ));
    let err = parse_source("rtsp://cam:99999/Streaming").expect_err("port");
    assert_eq!(
        err.to_string(),
        "port 99999 out of range in rtsp://cam:99999/Streaming (must be 1..=65535)"
    );
    assert!(parse_source("rtsp://cam:65535/x").is_ok());
    assert!(parse_source("rtsp://cam:1").is_ok());
}

#[test]
fn whitespace_and_control_chars_are_errors() {
    for s in [
        "rtsp://cam /x",
        "rtsp://cam/x\ty",
        "rtsp://cam/\u{0}",
        "rtsp://cam\n/x",
    ] {
        assert!(
            matches!(parse_source(s), Err(UrlError::ForbiddenCharacter { .. })),
            "{s:?}"
        );
    }
    let err = parse_source("rtsp://admin:hunter2@cam/a b").expect_err("space");
    assert!(!err.to_string().contains("hunter2"));
}

#[test]
fn credentials_are_split_out_and_decoded() {
    let (spec, creds) =
        parse_source_with_credentials("rtsp://admin:p%40ss%3Aw%2Frd%25%23%3F%C3%BC@10.0.0.5:554/s")
            .expect("parse");
    let creds = creds.expect("creds");
    assert_eq!(creds.username, "admin");
    assert_eq!(creds.password, "p@ss:w/rd%#?ü");
    let SourceSpec::Network(url) = spec else {
        panic!("network")
    };
    assert_eq!(url.to_string(), "rtsp://10.0.0.5:554/s");
    assert!(!format!("{url:?}").contains("admin"));

    let (_, creds) = parse_source_with_credentials("rtsp://viewer@cam/s").expect("parse");
    assert_eq!(
        creds,
        Some(Credentials {
            username: "viewer".into(),
            password: String::new()
        })
    );
    let (_, creds) = parse_source_with_credentials("rtsp://cam/s").expect("parse");
    assert_eq!(creds, None);
    // Unencoded '@' in the password: the last '@' before the first '/' ends the userinfo.
    let (spec, creds) = parse_source_with_credentials("rtsp://admin:p@ss@cam/s").expect("parse");
    assert_eq!(creds.expect("creds").password, "p@ss");
    assert_eq!(spec.to_string(), "rtsp://cam/s");
}

#[test]
fn bad_percent_encoding_does_not_leak() {
    let err = parse_source_with_credentials("rtsp://admin:secret%zz@cam/s").expect_err("bad %");
    assert!(matches!(err, UrlError::InvalidPercentEncoding { .. }));
    assert!(!err.to_string().contains("secret"));
    let err = parse_source_with_credentials("rtsp://admin:secret%ff@cam/s").expect_err("utf8");
    assert!(!err.to_string().contains("secret"));
}

/// A `%` must be followed by two hex digits, in the credentials and in a file URL: a
/// sign (`%+1`), a short escape or a lone `%` is an error, never decoded or kept as is.
#[test]
fn malformed_escapes_are_errors() {
    for source in [
        "rtsp://admin:a%+1@cam/s",
        "rtsp://admin:a%-1@cam/s",
        "rtsp://admin:a%4@cam/s",
        "rtsp://admin:a%@cam/s",
        "rtsp://ad%min:a@cam/s",
    ] {
        let err = parse_source_with_credentials(source).expect_err(source);
        assert!(
            matches!(err, UrlError::InvalidPercentEncoding { .. }),
            "{source}: {err:?}"
        );
    }
    assert!(matches!(
        parse_source("file:///srv/a%2.mp4"),
        Err(UrlError::InvalidPercentEncoding { .. })
    ));
}

#[test]
fn ffmpeg_url_percent_encodes_credentials() {
    let url = network("rtsp://10.0.0.5:554/Streaming/Channels/101");
    let creds = Credentials {
        username: "ad min@x".into(),
        password: NASTY.into(),
    };
    let built = url.to_ffmpeg_url(Some(&creds));
    assert_eq!(
        built,
        "rtsp://ad%20min%40x:p%40ss%3Aw%2Frd%25%23%3F%C3%BC%20x@10.0.0.5:554/Streaming/Channels/101"
    );
    // And it round-trips through our own parser.
    let (spec, back) = parse_source_with_credentials(&built).expect("reparse");
    assert_eq!(back, Some(creds));
    assert_eq!(spec, SourceSpec::Network(url.clone()));
    assert_eq!(
        url.to_ffmpeg_url(None),
        "rtsp://10.0.0.5:554/Streaming/Channels/101"
    );
    let user_only = Credentials {
        username: "viewer".into(),
        password: String::new(),
    };
    assert_eq!(
        url.to_ffmpeg_url(Some(&user_only)),
        "rtsp://viewer@10.0.0.5:554/Streaming/Channels/101"
    );
    assert_eq!(
        url.to_ffmpeg_url(Some(&Credentials::default())),
        "rtsp://10.0.0.5:554/Streaming/Channels/101"
    );
    let v6 = network("rtsps://[::1]/x");
    assert_eq!(v6.to_ffmpeg_url(Some(&user_only)), "rtsps://viewer@[::1]/x");
}

#[test]
fn unreserved_chars_are_not_encoded() {
    assert_eq!(percent_encode_userinfo("Az09-._~"), "Az09-._~");
    assert_eq!(
        percent_encode_userinfo("!$&'()*+,;="),
        "%21%24%26%27%28%29%2A%2B%2C%3B%3D"
    );
}

#[test]
fn credentials_debug_hides_password() {
    let c = Credentials {
        username: "admin".into(),
        password: "hunter2".into(),
    };
    let dbg = format!("{c:?}");
    assert!(dbg.contains("admin") && dbg.contains("***"), "{dbg}");
    assert!(!dbg.contains("hunter2"));
}

fn assert_redacted(input: &str, expected: &str, secrets: &[&str]) {
    let out = redact(input);
    assert_eq!(out, expected, "input: {input}");
    for s in secrets {
        assert!(!out.contains(s), "secret {s:?} leaked in {out:?}");
    }
}

#[test]
fn redacts_userinfo() {
    assert_redacted(
        "open rtsp://admin:secret@10.0.0.5/s failed",
        "open rtsp://***@10.0.0.5/s failed",
        &["secret", "admin"],
    );
    assert_redacted("rtsp://admin@cam/s", "rtsp://***@cam/s", &["admin"]);
    assert_redacted("http://u:pw1234@h:80", "http://***@h:80", &["pw1234"]);
}

#[test]
fn redacts_encoded_at_and_literal_at() {
    assert_redacted(
        "rtsp://admin:se%40cret@cam:554/s",
        "rtsp://***@cam:554/s",
        &["se%40cret", "cret"],
    );
    assert_redacted(
        "rtsp://admin:p@ss@w0rd@cam/s?a=b",
        "rtsp://***@cam/s?a=b",
        &["p@ss", "w0rd"],
    );
    // Unencoded '/' in the password: the fallback still hides it.
    assert_redacted(
        "x rtsp://admin:se/cret@cam/s y",
        "x rtsp://***@cam/s y",
        &["se/cret", "cret"],
    );
}

#[test]
fn redacts_multiple_urls_and_keeps_other_text() {
    assert_redacted(
        "a rtsp://u1:s3cr3tA@h1/x, b rtsps://u2:s3cr3tB@[::1]:322/y\n\"file:///tmp/x\"",
        "a rtsp://***@h1/x, b rtsps://***@[::1]:322/y\n\"file:///tmp/x\"",
        &["s3cr3tA", "s3cr3tB"],
    );
    for plain in [
        "",
        "no urls here: 10.0.0.5@home",
        "rtsp://10.0.0.5:554/Streaming/Channels/101",
        "ünïcödé :// odd",
        "bypass=1 compass=north",
    ] {
        assert_eq!(redact(plain), plain);
    }
}

/// An `@` later on the line is taken as the end of the userinfo: over-redaction, the
/// price of hiding passwords written without percent-encoding.
#[test]
fn an_at_later_on_the_line_over_redacts() {
    assert_redacted(
        "rtsp://[fe80::1]:554/x and user@example.com",
        "rtsp://***@example.com",
        &[],
    );
    assert_redacted("rtsp://cam/path@with-at", "rtsp://***@with-at", &[]);
    assert_redacted(
        "rtsp://admin:p@ss@w0rd@cam/s?a=b@c\nnext rtsp://cam/x",
        "rtsp://***@c\nnext rtsp://cam/x",
        &["w0rd"],
    );
}

/// Passwords pasted without percent-encoding: spaces, quotes, `://`, `#`, `?`.
#[test]
fn redacts_unencoded_passwords_with_any_character() {
    for (input, expected) in [
        (
            "open 'rtsp://admin:it's ok@cam/s' failed",
            "open 'rtsp://***@cam/s' failed",
        ),
        ("rtsp://admin:a b\"c@cam/s", "rtsp://***@cam/s"),
        ("x rtsp://admin:12/ab@cam/s", "x rtsp://***@cam/s"),
        ("rtsp://admin:a://b@c@cam", "rtsp://***@cam"),
        ("in `rtsp://admin:<x> y`@cam`", "in `rtsp://***@cam`"),
    ] {
        assert_redacted(input, expected, &[]);
    }
}

#[test]
fn redacts_bare_schemes_and_authorization_headers() {
    assert_redacted(
        "bad rtsp:admin:hunter2@cam/x",
        "bad rtsp:***@cam/x",
        &["hunter2"],
    );
    assert_redacted("RTSPS:/admin:pw12@cam", "RTSPS:***@cam", &["pw12"]);
    assert_redacted(
        "[rtsp @ 0x1] Authorization: Basic YWRtaW46aHVudGVyMg==\r\nCSeq: 2",
        "[rtsp @ 0x1] Authorization: ***\r\nCSeq: 2",
        &["YWRtaW46"],
    );
    assert_eq!(redact("error: rtsp: no"), "error: rtsp: no");
}

/// `scheme:` without `//` is neither a URL nor a file: refused, input not shown.
#[test]
fn sources_without_slashes_are_refused() {
    for source in [
        "rtsp:admin:hunter2@cam",
        "rtsp:/cam/x",
        "RTSPS:cam",
        "file:/srv/x.mp4",
    ] {
        let err = parse_source(source).expect_err(source);
        assert!(
            matches!(err, UrlError::MissingSlashes { .. }),
            "{source}: {err:?}"
        );
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("://"), "{err}");
    }
    assert_eq!(
        parse_source("./clip:1.mp4"),
        Ok(SourceSpec::File("./clip:1.mp4".into()))
    );
    assert_eq!(
        parse_source("C:x.mp4"),
        Ok(SourceSpec::File("C:x.mp4".into()))
    );
}

#[test]
fn redacts_password_query_parameters() {
    assert_redacted(
        "rtsp://cam/s?user=admin&password=hunter2&x=1",
        "rtsp://cam/s?user=admin&password=***&x=1",
        &["hunter2"],
    );
    assert_redacted(
        "GET /cgi?PASS=Topsecret HTTP/1.0",
        "GET /cgi?PASS=*** HTTP/1.0",
        &["Topsecret"],
    );
    assert_redacted("x?Password=a%40b#frag", "x?Password=***#frag", &["a%40b"]);
    assert_redacted("pwd=abc;passwd=def", "pwd=***;passwd=***", &["abc", "def"]);
    assert_redacted(
        "rtsp://u:p4ss@cam/s?password=q4ss",
        "rtsp://***@cam/s?password=***",
        &["p4ss", "q4ss"],
    );
}

#[test]
fn redaction_is_idempotent_and_covers_ffmpeg_urls() {
    let url = network("rtsp://10.0.0.5:554/s");
    let creds = Credentials {
        username: "admin".into(),
        password: NASTY.into(),
    };
    let line = format!(
        "[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized {}",
        url.to_ffmpeg_url(Some(&creds))
    );
    let once = redact(&line);
    assert!(once.ends_with("rtsp://***@10.0.0.5:554/s"), "{once}");
    assert!(!once.contains("p%40ss") && !once.contains("admin"));
    assert_eq!(redact(&once), once);
}

#[test]
fn errors_never_include_passwords() {
    let cases = [
        "rtsp://admin:hunter2@cam:99999/s",
        "rtsp://admin:hunter2@cam:xx/s",
        "rtsp://admin:hunter2@/s",
        "rtsp://admin:hunter2@ca^m/s",
        "rtsp://admin:hunter2@cam/s\u{1}",
        "rtsp://admin:hun/ter2@cam:0/s",
        "ftp://admin:hunter2@cam/s",
    ];
    for c in cases {
        let err = parse_source(c).expect_err(c);
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("ter2"),
            "{c}: {text}"
        );
    }
}
