from kvstore.store import KVStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_set_get_and_overwrite():
    store = KVStore()
    store.set("a", 1)
    store.set("a", 2)
    assert store.get("a") == 2
    assert store.get("missing", "default") == "default"


def test_delete():
    store = KVStore()
    store.set("a", 1)
    assert store.delete("a") is True
    assert store.delete("a") is False
    assert store.get("a") is None


def test_expiry_with_a_fake_clock():
    clock = FakeClock()
    store = KVStore(clock)
    store.set("short", 1, ttl=5)
    store.set("forever", 2)
    clock.now = 4.9
    assert store.get("short") == 1
    clock.now = 5.0
    assert store.get("short") is None
    assert store.keys() == ["forever"]
    assert len(store) == 1
