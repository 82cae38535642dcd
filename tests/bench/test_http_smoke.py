"""The HTTP smoke's pieces that run without a server: locust's statistics as the report reads
them, and the wrk script."""

from bench import http_smoke

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


def test_locust_statistics_are_read_per_page_and_in_total(tmp_path):
    stats = tmp_path / "locust_stats.csv"
    lines = [
        HEADER,
        "GET,patient home,617,0,16,21.5,3.1,575.2,9000,21.3,0,"
        "16,20,25,30,60,95,200,510,575,575,575",
        'GET,"free slots (specialist\'s week)",300,2,20,30,5,400,12000,10,0.1,'
        "20,25,30,35,80,120,300,380,400,400,400",
        ",Aggregated,917,2,17,24,3.1,575.2,9900,31.3,0.1,17,21,26,31,66,100,220,500,575,575,575",
    ]
    stats.write_text("\n".join(lines) + "\n")
    rows = http_smoke.read_stats(stats)
    assert [r["name"] for r in rows] == [
        "patient home",
        "free slots (specialist's week)",
        "Aggregated",
    ]
    home, slots, total = rows
    assert (home["requests"], home["errors"], home["p50_ms"], home["p95_ms"]) == (617, 0, 16, 95)
    assert (home["p99_ms"], home["max_ms"], home["requests_per_second"]) == (510, 575.2, 21.3)
    assert slots["errors"] == 2 and slots["p95_ms"] == 120
    assert total["requests"] == 917


def test_the_wrk_script_sends_each_request_with_its_cookie_as_behind_the_proxy(tmp_path):
    script = http_smoke._script([("/me/", 'sessionid=a"b'), ("/", "")], tmp_path, "mix")
    text = script.read_text()
    assert '{"/me/", "sessionid=a\\"b"}' in text
    assert '["X-Forwarded-Proto"] = "https"' in text
    assert "function delay" not in text  # back to back: the capacity run
