"""Envelope encryption of single values (TI-02: "Sensible Daten hinzufügen" – credentials a customer
gives a ticket, kept encrypted): a data key per value, wrapped by a rotatable key from the settings,
bound to the record it is kept in."""
from __future__ import annotations

import base64
import traceback

import pytest
import sqlalchemy as sa

from portico_kernel import envelope as envelope_module
from portico_kernel.envelope import (
    Envelope, EnvelopeError, KeyEncryptionKey, RecordField, SensitiveText, UnknownKey, Unreadable, new_key_entry,
    rewrap_column,
)

SECRET = "ftp: kunde-4711 / Passwort: Zürich-Sommer-2026!"
TICKET = RecordField("tickets", "7d0c5c1e-4f7e-4d2f-9a55-3d1f0c6f1a01", "sensitive_data")
OTHER_TICKET = RecordField("tickets", "0b9e7f0e-2c57-4f55-8a59-6f0f6e1c2b02", "sensitive_data")

OLD, NEW = new_key_entry("2026-01"), new_key_entry("2026-11")


@pytest.fixture
def keys() -> Envelope:
    return Envelope.from_entries([OLD])


def flip(token: str, part: int) -> str:
    """The token with one bit of one of its parts changed."""
    pieces = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(pieces[part] + "=" * (-len(pieces[part]) % 4)))
    raw[len(raw) // 2] ^= 0x01
    pieces[part] = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    return ".".join(pieces)


def message_and_trace(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


# --- Round trip ---------------------------------------------------------------------------------------

def test_ti_02_a_sealed_value_opens_for_its_record(keys):
    token = keys.seal(SECRET, TICKET)
    assert keys.open(token, TICKET).reveal() == SECRET


def test_ti_02_the_stored_text_describes_itself_and_holds_no_plaintext(keys):
    token = keys.seal(SECRET, TICKET)
    version, key_id, wrapped, nonce, ciphertext = token.split(".")
    assert (version, key_id) == ("pe1", "2026-01")
    assert len(base64.urlsafe_b64decode(wrapped + "==")) == 40  # a 256-bit data key, AES key wrap
    assert len(base64.urlsafe_b64decode(nonce + "==")) == 12  # 96 bits
    assert len(base64.urlsafe_b64decode(ciphertext + "==")) == len(SECRET.encode()) + 16  # GCM tag
    assert token.isascii()
    assert "Passwort" not in token and "kunde-4711" not in token


def test_ti_02_every_value_gets_its_own_data_key_and_nonce(keys):
    first, second = keys.seal(SECRET, TICKET), keys.seal(SECRET, TICKET)
    assert first != second
    assert first.split(".")[2] != second.split(".")[2]
    assert first.split(".")[3] != second.split(".")[3]


@pytest.mark.parametrize("text", ["", "ä", "🔑 " * 100, "a" * 100_000, "line\nbreak\x00nul"])
def test_ti_02_any_text_round_trips(keys, text):
    assert keys.open(keys.seal(text, TICKET), TICKET).reveal() == text


def test_ti_02_an_opened_value_can_be_sealed_again(keys):
    opened = keys.open(keys.seal(SECRET, TICKET), TICKET)
    assert keys.open(keys.seal(opened, OTHER_TICKET), OTHER_TICKET) == opened


def test_ti_02_only_text_is_sealed(keys):
    with pytest.raises(EnvelopeError, match="only text"):
        keys.seal(SECRET.encode(), TICKET)


# --- Bound to its record ------------------------------------------------------------------------------

@pytest.mark.parametrize("elsewhere", [
    OTHER_TICKET,
    RecordField("tickets", TICKET.row, "subject"),
    RecordField("ticket_replies", TICKET.row, "sensitive_data"),
])
def test_ti_02_a_value_moved_to_another_record_does_not_open(keys, elsewhere):
    token = keys.seal(SECRET, TICKET)
    with pytest.raises(Unreadable, match="another record") as refusal:
        keys.open(token, elsewhere)
    assert SECRET not in message_and_trace(refusal.value)


def test_ti_02_the_parts_of_a_record_cannot_be_shifted_into_one_another(keys):
    token = keys.seal(SECRET, RecordField("tickets", "a.b", "c"))
    with pytest.raises(Unreadable):
        keys.open(token, RecordField("tickets.a", "b", "c"))


def test_ti_02_a_record_needs_table_row_and_field(keys):
    with pytest.raises(EnvelopeError, match="record"):
        keys.seal(SECRET, RecordField("tickets", "", "sensitive_data"))


# --- Tampering ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("part", [2, 3, 4])
def test_ti_02_an_altered_wrapped_key_nonce_or_ciphertext_is_refused(keys, part):
    token = keys.seal(SECRET, TICKET)
    with pytest.raises(Unreadable) as refusal:
        keys.open(flip(token, part), TICKET)
    assert SECRET not in message_and_trace(refusal.value)


@pytest.mark.parametrize("broken", [
    "",
    "hello",
    "pe0.2026-01.AAAA.AAAA.AAAA",
    "pe1.2026-01.!!!!.AAAA.AAAA",
    "pe1.2026-01.AAAA.AAAA.AAAA",  # parts of the wrong length
    "pe1..AAAA.AAAA.AAAA",
    "pe1.2026-01.a.b.c.d",
])
def test_ti_02_a_text_that_is_no_sealed_value_is_refused(keys, broken):
    with pytest.raises(Unreadable):
        keys.open(broken, TICKET)


def test_ti_02_a_token_written_differently_but_meaning_the_same_is_refused(keys):
    token = keys.seal(SECRET, TICKET)
    pieces = token.split(".")
    pieces[4] += "="  # padding the writer never writes
    with pytest.raises(Unreadable):
        keys.open(".".join(pieces), TICKET)


def test_ti_02_a_truncated_ciphertext_is_refused(keys):
    token = keys.seal(SECRET, TICKET)
    with pytest.raises(Unreadable):
        keys.open(token[:-4], TICKET)


def test_ti_02_a_value_sealed_with_another_key_of_the_same_id_is_refused():
    mine, theirs = Envelope.from_entries([new_key_entry("k")]), Envelope.from_entries([new_key_entry("k")])
    with pytest.raises(Unreadable, match="does not unwrap"):
        mine.open(theirs.seal(SECRET, TICKET), TICKET)


# --- Rotation -----------------------------------------------------------------------------------------

def test_ti_02_after_rotation_new_values_use_the_new_key_and_old_ones_still_open():
    before = Envelope.from_entries([OLD])
    old_token = before.seal(SECRET, TICKET)
    rotated = Envelope.from_entries([NEW, OLD])
    assert rotated.newest_key_id == "2026-11"
    assert rotated.key_id(rotated.seal(SECRET, TICKET)) == "2026-11"
    assert rotated.open(old_token, TICKET).reveal() == SECRET
    assert not rotated.is_current(old_token)


def test_ti_02_rewrap_changes_only_the_wrapped_key_then_the_old_key_can_go():
    old_token = Envelope.from_entries([OLD]).seal(SECRET, TICKET)
    rewrapped = Envelope.from_entries([NEW, OLD]).rewrap(old_token)
    old_parts, new_parts = old_token.split("."), rewrapped.split(".")
    assert new_parts[1] == "2026-11" and new_parts[2] != old_parts[2]
    assert new_parts[3:] == old_parts[3:]  # the nonce and the ciphertext are untouched
    only_new = Envelope.from_entries([NEW])
    assert only_new.open(rewrapped, TICKET).reveal() == SECRET
    assert only_new.is_current(rewrapped)
    with pytest.raises(UnknownKey, match="2026-01"):
        only_new.open(old_token, TICKET)


def test_ti_02_rewrap_keeps_a_current_value_as_it_is():
    rotated = Envelope.from_entries([NEW, OLD])
    token = rotated.seal(SECRET, TICKET)
    assert rotated.rewrap(token) == token


def test_ti_02_rewrap_refuses_an_altered_wrapped_key():
    old_token = Envelope.from_entries([OLD]).seal(SECRET, TICKET)
    with pytest.raises(Unreadable):
        Envelope.from_entries([NEW, OLD]).rewrap(flip(old_token, 2))


def test_ti_02_a_rewrapped_value_still_belongs_to_its_record_only():
    rewrapped = Envelope.from_entries([NEW, OLD]).rewrap(Envelope.from_entries([OLD]).seal(SECRET, TICKET))
    with pytest.raises(Unreadable):
        Envelope.from_entries([NEW]).open(rewrapped, OTHER_TICKET)


def test_ti_02_rewrap_column_rewraps_every_stored_value_once():
    engine = sa.create_engine("sqlite://")
    table = sa.Table("tickets", sa.MetaData(), sa.Column("id", sa.String, primary_key=True), sa.Column("sensitive_data", sa.Text))
    old = Envelope.from_entries([OLD])
    with engine.begin() as connection:
        table.create(connection)
        for row in ("a", "b", "c"):
            connection.execute(table.insert().values(id=row, sensitive_data=old.seal(f"{SECRET} {row}", RecordField("tickets", row, "sensitive_data"))))
        connection.execute(table.insert().values(id="d", sensitive_data=None))
        rotated = Envelope.from_entries([NEW, OLD])
        assert rewrap_column(connection, table, "sensitive_data", rotated) == 3
        assert rewrap_column(connection, table, "sensitive_data", rotated) == 0
        only_new = Envelope.from_entries([NEW])
        for row, token in connection.execute(sa.select(table.c.id, table.c.sensitive_data).where(table.c.sensitive_data.is_not(None))):
            assert only_new.open(token, RecordField("tickets", row, "sensitive_data")).reveal() == f"{SECRET} {row}"


def test_ti_02_a_value_of_an_unknown_key_is_refused_naming_the_key_only(keys):
    token = Envelope.from_entries([NEW]).seal(SECRET, TICKET)
    with pytest.raises(UnknownKey) as refusal:
        keys.open(token, TICKET)
    assert "2026-11" in str(refusal.value) and "PORTICO_ENVELOPE_KEYS" in str(refusal.value)
    with pytest.raises(UnknownKey):
        keys.rewrap(token)


# --- Nothing secret in reprs and errors ---------------------------------------------------------------

def test_ti_02_an_opened_value_hides_itself_in_repr_str_and_formatting(keys):
    opened = keys.open(keys.seal(SECRET, TICKET), TICKET)
    for shown in (repr(opened), str(opened), f"{opened}", f"{opened!r}", repr([opened]), repr({"credentials": opened})):
        assert SECRET not in shown and "Passwort" not in shown


def test_ti_02_an_opened_value_is_not_pickled_and_stays_hidden_in_copies():
    import copy
    import dataclasses
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(SensitiveText(SECRET))

    @dataclasses.dataclass
    class Ticket:
        subject: str
        sensitive_data: SensitiveText

    shown = repr(dataclasses.asdict(Ticket("Shop offline", SensitiveText(SECRET)))) + repr(copy.deepcopy(SensitiveText(SECRET)))
    assert SECRET not in shown


def test_ti_02_keys_are_not_in_reprs():
    rotated = Envelope.from_entries([NEW, OLD])
    old_key = OLD.partition(":")[2]
    for shown in (repr(rotated), repr(KeyEncryptionKey.parse(OLD, 1))):
        assert old_key not in shown
    assert "2026-11" in repr(rotated)


def test_ti_02_no_error_shows_the_plaintext_or_a_key(keys):
    token = keys.seal(SECRET, TICKET)
    errors = []
    for attempt in (
        lambda: keys.open(token, OTHER_TICKET),
        lambda: keys.open(flip(token, 4), TICKET),
        lambda: keys.open(flip(token, 2), TICKET),
        lambda: Envelope.from_entries([NEW]).open(token, TICKET),
        lambda: Envelope.from_entries([NEW]).rewrap(token),
    ):
        with pytest.raises(EnvelopeError) as refusal:
            attempt()
        errors.append(refusal.value)
    for error in errors:
        shown = message_and_trace(error)
        assert SECRET not in shown and OLD.partition(":")[2] not in shown
        # the library's own exception is not chained on: the refusal says all there is to say
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


# --- The settings -------------------------------------------------------------------------------------

@pytest.mark.parametrize("entries, named", [
    ([], "names no key"),
    (["nokey"], "entry 1 is not id:base64key"),
    ([":" + base64.b64encode(b"k" * 32).decode()], "entry 1"),
    (["short:" + base64.b64encode(b"k" * 16).decode()], "'short' is not 32 bytes"),
    (["bad:***"], "'bad' is not base64"),
    (["a.b:" + base64.b64encode(b"k" * 32).decode()], "key id"),
    ([new_key_entry("same"), new_key_entry("same")], "'same' is given twice"),
])
def test_ti_02_bad_settings_are_refused_naming_the_entry_not_the_key(entries, named):
    with pytest.raises(ValueError, match=named) as refusal:
        Envelope.from_entries(entries)
    for entry in entries:
        secret_part = entry.partition(":")[2]
        if len(secret_part) > 8:
            assert secret_part not in str(refusal.value)


def test_ti_02_keys_in_url_safe_base64_and_with_spaces_are_read():
    raw = bytes(range(251, 256)) + b"\xfb" * 27
    keys = Envelope.from_entries([f" url:{base64.urlsafe_b64encode(raw).decode()} "])
    assert keys.newest_key_id == "url"


def test_ti_02_keys_come_from_portico_envelope_keys_newest_first(monkeypatch):
    monkeypatch.setenv("PORTICO_ENVELOPE_KEYS", f"{NEW}, {OLD}")
    keys = Envelope.from_environment()
    assert keys.newest_key_id == "2026-11"
    assert keys.open(Envelope.from_entries([OLD]).seal(SECRET, TICKET), TICKET).reveal() == SECRET


def test_ti_02_embedded_without_settings_a_key_is_made_once_under_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTICO_ENVELOPE_KEYS", raising=False)
    monkeypatch.delenv("PORTICO_BROKER_URL", raising=False)
    monkeypatch.setenv("PORTICO_DATA_DIR", str(tmp_path))
    first = Envelope.from_environment()
    token = first.seal(SECRET, TICKET)
    assert (tmp_path / "envelope.key").stat().st_mode & 0o777 == 0o600
    assert first.newest_key_id == "embedded"
    assert Envelope.from_environment().open(token, TICKET).reveal() == SECRET  # the same key the next time
    assert not (tmp_path / "secret.key").exists()  # not the Fernet key of PORTICO_SECRET_KEYS


def test_ti_02_outside_the_embedded_mode_the_setting_is_required(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTICO_ENVELOPE_KEYS", raising=False)
    monkeypatch.setenv("PORTICO_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    monkeypatch.setenv("PORTICO_DATA_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="PORTICO_ENVELOPE_KEYS must be set"):
        Envelope.from_environment()
    assert not (tmp_path / "envelope.key").exists()


def test_ti_02_the_process_envelope_is_read_once(monkeypatch):
    monkeypatch.setenv("PORTICO_ENVELOPE_KEYS", NEW)
    envelope_module.envelope.cache_clear()
    try:
        assert envelope_module.envelope() is envelope_module.envelope()
        assert envelope_module.envelope().newest_key_id == "2026-11"
    finally:
        envelope_module.envelope.cache_clear()
