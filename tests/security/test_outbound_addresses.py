"""Which addresses a URL import or a webhook may reach (labelapp/outbound.py)."""

import ipaddress

import pytest

from labelapp.outbound import OutboundRefused, address_refusal, check_target, display_url


@pytest.mark.parametrize(
    "address, refusal",
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),  # IPv4 written as IPv6
        ("169.254.169.254", "a link-local address"),  # cloud metadata services
        ("fe80::1", "a link-local address"),
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("fd00::1", "a private address"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("0.0.0.0", "a private address"),
        ("224.0.0.1", "not a public address"),
        ("93.184.215.14", ""),
        ("2606:4700::1111", ""),
    ],
)
def test_only_public_addresses_are_reached_by_default(address: str, refusal: str, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []

    assert address_refusal(ipaddress.ip_address(address)) == refusal


def test_an_administrator_can_allow_one_network(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.1.0.0/16"]

    assert address_refusal(ipaddress.ip_address("10.1.2.3")) == ""
    assert address_refusal(ipaddress.ip_address("10.2.0.1")) == "a private address"


@pytest.mark.parametrize(
    "url", ["http://2130706433/", "http://0x7f.1/", "http://[::1]:8000/", "http://localhost/"]
)
def test_other_spellings_of_loopback_are_refused(url: str, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []

    with pytest.raises(OutboundRefused, match="loopback"):
        check_target(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "http:///path", "ftp://h/"])
def test_only_http_and_https_are_fetched(url: str):
    with pytest.raises(OutboundRefused, match="Only http"):
        check_target(url)


def test_shown_addresses_carry_no_password_or_signature():
    url = "https://me:hunter2@bucket.example/a.jpg?X-Amz-Signature=abc&size=large&token=t"

    assert display_url(url) == "https://bucket.example/a.jpg?X-Amz-Signature=…&size=large&token=…"
