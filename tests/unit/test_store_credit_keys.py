"""The customer key: one customer, one key, however an order spelt the address."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from returns_api.store_credit.keys import customer_key, key_from_path

# What orders accept (orders/schemas.py `ExternalId` and `Email`).
customer_ids = st.from_regex(r"\A[A-Za-z0-9._:\-]{1,64}\Z")
addresses = st.from_regex(r"\A[^@ \t\n\r\f\v]{1,40}@[^@ \t\n\r\f\v]{1,40}\Z")
ascii_addresses = st.from_regex(r"\A[A-Za-z0-9._%+\-]{1,40}@[A-Za-z0-9.\-]{1,40}\Z")
padding = st.sampled_from(["", " ", "\t", "  \n"])


@given(ascii_addresses, padding, padding)
def test_any_spelling_of_an_address_is_one_key(address: str, before: str, after: str) -> None:
    key = customer_key(None, address)
    assert customer_key(None, before + address.swapcase() + after) == key
    assert customer_key(None, before + address.upper() + after) == key
    assert key == key.lower()


@given(addresses)
def test_a_guest_key_names_its_guest_in_a_path(address: str) -> None:
    key = customer_key(None, address)
    assert key_from_path(key) == key
    assert key_from_path("email:" + address) == key


@given(customer_ids, addresses)
def test_a_customer_id_is_the_key_and_names_itself(customer_id: str, address: str) -> None:
    key = customer_key(customer_id, address)
    assert key == customer_id
    assert key_from_path(key) == customer_id


@given(customer_ids, addresses)
def test_ids_and_addresses_never_share_a_key(customer_id: str, address: str) -> None:
    assert customer_key(customer_id, address) != customer_key(None, address)
    assert "@" not in customer_key(customer_id, address)


@given(st.text(max_size=80))
def test_a_path_names_a_customer_only_in_a_form_orders_accept(text: str) -> None:
    key = key_from_path(text)
    if key is None:
        return
    if "@" in key:
        assert key.startswith("email:")
        assert key == customer_key(None, key.removeprefix("email:"))
    else:
        assert key == text
