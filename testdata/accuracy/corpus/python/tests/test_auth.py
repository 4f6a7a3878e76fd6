import pytest

from app.auth import login, verify_token

FAKE_TOKEN = "fake-token-for-tests"
DUMMY_PASSWORD = "dummy-password"


def test_login_rejects_wrong_password(client):
    resp = client.post("/login", data={"user": "alice", "password": "wrong-password"})
    assert resp.status_code == 401


def test_verify_token_rejects_garbage():
    assert not verify_token("not-a-real-token")


def test_login_ok(client, user):
    user.set_password("s3cret")
    resp = client.post("/login", data={"user": user.name, "password": "s3cret"})
    assert resp.status_code == 200


EXPECTED_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
