"""The broker choice: Redis when it answers; the filesystem fallback only when allowed."""

from leadterra_ui.broker import choose_broker

DEAD = "redis://127.0.0.1:1/0"


def test_it_keeps_redis_when_fallback_is_off(tmp_path):
    assert choose_broker(DEAD, "0", tmp_path) == (DEAD, {})


def test_it_falls_back_to_the_filesystem_with_one_warning(tmp_path, capsys):
    url, options = choose_broker(DEAD, "1", tmp_path)
    assert url == "filesystem://"
    assert options["data_folder_in"] == options["data_folder_out"] == str(tmp_path / "queue")
    assert (tmp_path / "queue").is_dir()
    assert "for trying the product only" in capsys.readouterr().err


def test_quiet_fallback_does_not_repeat_the_warning(tmp_path, capsys):
    url, _ = choose_broker(DEAD, "quiet", tmp_path)
    assert url == "filesystem://"
    assert capsys.readouterr().err == ""


def test_it_uses_redis_when_it_answers_even_with_fallback_on(tmp_path, redis_server):
    assert choose_broker(redis_server.url, "1", tmp_path) == (redis_server.url, {})
