"""`banyan serve` driven by the official openai client, as users drive it.

Starts the real server binary ($BANYAN, default the checkout's .build/release/banyan) on a free loopback
port and checks completions, chat, streaming, n, search through extra_body, 8 concurrent streams, a
client that disconnects mid-stream, /metrics counters that add up to the usage the responses returned, and
that after 1,000 mixed requests the KV pool holds only the prefix cache's pages and the gauges are idle.
"""
import concurrent.futures
import json
import random
import urllib.request

import openai
import pytest

from served import metrics, start, wait_idle


@pytest.fixture(scope="module")
def server():
    proc, base, log = start("serve", "--parallel", "16", "--ctx", "2048")
    yield base
    proc.terminate()
    try:
        assert proc.wait(timeout=15) == 0, "SIGTERM ends the server cleanly"
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)


def test_completion_chat_and_n(client):
    c = client.completions.create(model="", prompt="The three primary colours are", max_tokens=8, temperature=0)
    assert c.object == "text_completion" and c.choices[0].text and c.usage.completion_tokens <= 8
    again = client.completions.create(model="", prompt="The three primary colours are", max_tokens=8, temperature=0)
    assert again.choices[0].text == c.choices[0].text, "greedy is deterministic"
    chat = client.chat.completions.create(model="", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8, n=3, seed=4)
    assert [ch.index for ch in chat.choices] == [0, 1, 2]
    assert all(ch.message.role == "assistant" and ch.message.content for ch in chat.choices)
    assert 3 <= chat.usage.completion_tokens <= 24, "three choices of at most 8 tokens each"


def test_streaming_chat_with_usage(client):
    stream = client.chat.completions.create(model="", messages=[{"role": "user", "content": "Count to five."}], max_tokens=16,
                                            stream=True, stream_options={"include_usage": True}, seed=1)
    ids, text, finish, usage = set(), "", None, None
    for chunk in stream:
        ids.add(chunk.id)
        if chunk.usage:
            usage = chunk.usage
        for ch in chunk.choices:
            text += ch.delta.content or ""
            finish = ch.finish_reason or finish
    assert len(ids) == 1 and text and finish in ("stop", "length") and usage and usage.completion_tokens > 0


def test_search_through_extra_body(client):
    r = client.completions.create(model="", prompt="What is 6 + 3 - 4?", max_tokens=64, n=4, seed=0,
                                  extra_body={"search": {"strategy": "beam", "n": 8, "beam_width": 4, "prm": "checker", "select": "weighted"}})
    extra = r.model_extra
    assert extra["search"]["strategy"] == "beam" and extra["search"]["tokens_decoded"] > 0
    assert len(r.choices) == 4
    scores = [ch.model_extra["score"] for ch in r.choices]
    assert scores == sorted(scores, reverse=True)
    chat = client.chat.completions.create(model="", messages=[{"role": "user", "content": "What is 9 - 5 + 2?"}], max_tokens=64,
                                          extra_body={"search": {"strategy": "best-of-n", "n": 8, "prm": "checker"}})
    assert chat.model_extra["search"]["answer"] is None or isinstance(chat.model_extra["search"]["answer"], str)
    streamed = client.completions.create(model="", prompt="What is 2 + 7 - 1?", max_tokens=48, stream=True,
                                         extra_body={"search": {"strategy": "dvts", "n": 4, "beam_width": 2}})
    pieces = [ch.choices[0].text for ch in streamed if ch.choices]
    assert "".join(pieces), "a streamed search sends its chosen answer when it ends"


def test_errors_are_openai_errors(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="", messages=[], max_tokens=4)
    assert e.value.body["param"] == "messages"
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model="", prompt="hi", max_tokens=4, temperature=5)
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="gpt-9", prompt="hi", max_tokens=4)


def test_eight_concurrent_streams(client, server):
    def one(i):
        s = client.completions.create(model="", prompt=f"Story number {i}:", max_tokens=24, stream=True, seed=i,
                                      stream_options={"include_usage": True})
        text, usage = "", None
        for chunk in s:
            if chunk.usage:
                usage = chunk.usage
            for ch in chunk.choices:
                text += ch.text
        return text, usage.completion_tokens

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    assert all(text and n > 0 for text, n in results)
    m = wait_idle(server)
    assert m["banyan_kv_pages_used"] == m["banyan_prefix_cache_pages"]


def test_disconnect_frees_the_sequences(server):
    body = json.dumps({"prompt": "Tell a very long story.", "max_tokens": 1500, "stream": True}).encode()
    req = urllib.request.Request(server + "/v1/completions", data=body, headers={"Content-Type": "application/json"})
    r = urllib.request.urlopen(req, timeout=30)
    r.readline()
    r.readline()
    r.close()  # the client goes away mid-stream
    m = wait_idle(server, 10)
    assert m["banyan_requests_running"] == 0, "the disconnected request stopped"
    assert m["banyan_kv_pages_used"] == m["banyan_prefix_cache_pages"], "its pages were freed"


def test_metrics_add_up_to_usage(client, server):
    before = wait_idle(server)
    prompt = completion = 0
    for i in range(5):
        r = client.completions.create(model="", prompt=f"Item {i} is", max_tokens=6, seed=i)
        prompt += r.usage.prompt_tokens
        completion += r.usage.completion_tokens
    after = wait_idle(server)
    assert after["banyan_prompt_tokens_total"] - before["banyan_prompt_tokens_total"] == prompt
    assert after["banyan_generation_tokens_total"] - before["banyan_generation_tokens_total"] == completion


def test_repeated_system_prompt_hits_the_prefix_cache(client, server):
    system = "You are a careful assistant who answers in one short sentence. " * 6
    before = metrics(server)["banyan_prefix_cache_hits_total"]
    cached = []
    for q in ["What is a tree?", "What is a river?", "What is a cloud?"]:
        r = client.chat.completions.create(model="", messages=[{"role": "system", "content": system}, {"role": "user", "content": q}],
                                           max_tokens=4)
        cached.append(r.usage.prompt_tokens_details.cached_tokens)
    assert cached[1] > 40 and cached[2] > 40, f"the system prompt's tokens came from the cache: {cached}"
    assert metrics(server)["banyan_prefix_cache_hits_total"] - before >= 2


def test_a_thousand_mixed_requests_leak_nothing(server):
    rng = random.Random(0)
    base = server + "/v1/"

    def one(i):
        kind = rng.random()
        if kind < 0.4:
            path, body = "completions", {"prompt": f"Number {i % 37} is", "max_tokens": rng.randint(1, 4), "n": rng.randint(1, 3)}
        elif kind < 0.8:
            path, body = "chat/completions", {"messages": [{"role": "user", "content": f"Word {i % 11}?"}], "max_tokens": rng.randint(1, 4)}
        elif kind < 0.9:
            path, body = "completions", {"prompt": f"Go {i}", "max_tokens": 3, "stream": True}
        else:
            path, body = "completions", {"prompt": "bad", "temperature": "hot"}
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                r.read()
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(1000)))
    assert statuses.count(200) + statuses.count(400) == 1000, f"no failures: {sorted(set(statuses))}"
    m = wait_idle(server)
    assert m["banyan_requests_running"] == 0 and m["banyan_requests_waiting"] == 0
    assert m["banyan_kv_pages_used"] == m["banyan_prefix_cache_pages"], "after 1,000 requests only cached prompts hold pages"
