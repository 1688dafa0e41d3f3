"""The test upstream's own signature checks, against the specifications' published examples.

The integration tests trust ``tests/support/signed_upstream.py`` to say whether the generated
packages sign correctly; these tests are why that trust is earned.
"""

from __future__ import annotations

import hashlib

from tests.support.signed_upstream import (
    aws_canonical_request,
    aws_signature,
    oauth1_base_string,
    rfc3986,
)

# RFC 5849 §3.4.1.1 (the example request of the OAuth 1.0 specification).
RFC5849_OAUTH = {
    "realm": "Example",
    "oauth_consumer_key": "9djdj82h48djs9d2",
    "oauth_token": "kkk9d7dh3k39sjv7",
    "oauth_signature_method": "HMAC-SHA1",
    "oauth_timestamp": "137131201",
    "oauth_nonce": "7d8f3e4a",
    "oauth_signature": "djosJKDKJSD8743243%2Fjdk33klY%3D",
}
RFC5849_BASE_STRING = (
    "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
    "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
    "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
    "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
    "9d7dh3k39sjv7"
)

# AWS Signature Version 4 test suite, "get-vanilla" and "post-vanilla-query".
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
AWS_SCOPE = "20150830/us-east-1/service/aws4_request"
AWS_DATE = "20150830T123600Z"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def test_oauth1_base_string_matches_rfc_5849_example() -> None:
    base = oauth1_base_string(
        "POST",
        "http",
        "example.com",
        "/request",
        "b5=%3D%253D&a3=a&c%40=&a2=r%20b",
        RFC5849_OAUTH,
        form=(("c2", ""), ("a3", "2 q")),
    )

    assert base == RFC5849_BASE_STRING


def test_oauth1_base_string_drops_default_ports_only() -> None:
    oauth = {"oauth_consumer_key": "k"}

    assert oauth1_base_string("GET", "http", "Example.COM:80", "/p", "", oauth).startswith(
        "GET&http%3A%2F%2Fexample.com%2Fp&"
    )
    assert oauth1_base_string("GET", "https", "h:8443", "/", "", oauth).startswith(
        "GET&https%3A%2F%2Fh%3A8443%2F&"
    )


def test_rfc3986_encoding_keeps_only_unreserved_characters() -> None:
    assert rfc3986("a b/c~d*é") == "a%20b%2Fc~d%2A%C3%A9"


def test_sigv4_reference_reproduces_the_aws_get_vanilla_signature() -> None:
    headers = {"host": "example.amazonaws.com", "x-amz-date": AWS_DATE}
    canonical = aws_canonical_request(
        "GET", "/", "", headers, ["host", "x-amz-date"], EMPTY_SHA256, s3=False
    )

    assert aws_signature(AWS_SECRET, AWS_DATE, AWS_SCOPE, canonical) == (
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_sigv4_reference_reproduces_the_aws_post_vanilla_query_signature() -> None:
    headers = {"host": "example.amazonaws.com", "x-amz-date": AWS_DATE}
    canonical = aws_canonical_request(
        "POST", "/", "Param1=value1", headers, ["host", "x-amz-date"], EMPTY_SHA256, s3=False
    )

    assert aws_signature(AWS_SECRET, AWS_DATE, AWS_SCOPE, canonical) == (
        "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"
    )


def test_sigv4_canonical_path_is_encoded_twice_except_for_s3() -> None:
    def path(s3: bool) -> str:
        return aws_canonical_request("GET", "/a%20b/c", "", {}, [], EMPTY_SHA256, s3=s3)

    assert path(s3=False).split("\n")[1] == "/a%2520b/c"
    assert path(s3=True).split("\n")[1] == "/a%20b/c"
