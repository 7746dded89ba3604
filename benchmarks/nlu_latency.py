"""NLU parse latency (p50/p95) through Rasa's HTTP API with the LLM component off and on.

    .venv-app/bin/python benchmarks/nlu_latency.py                       # defaults below
    .venv-app/bin/python benchmarks/nlu_latency.py --model models/naviyam.tar.gz --requests 200

- Rasa model: ``--model`` or ``NAVIYAM_MODEL``, else ``models/naviyam.tar.gz`` (trained
  by scripts/train.sh if stale, see tests/e2e/harness.py). It must be trained with
  config.yml's ``LLMIntentClassifier`` for the "on" run to mean anything (checked).
- LLM: ``--base-model``/``--adapter`` (or ``NAVIYAM_LLM_BASE_MODEL``/``NAVIYAM_LLM_ADAPTER``),
  else ``models/llm/tiny-base`` + ``models/llm/adapter``, built from data/nlu first if
  missing (the TINY dev model: latency of the code path, not of a real LLM).
- Texts: the held-out NLU test file (tests/nlu_test/held_out.yml), else data/nlu.

It starts the model server and the Rasa server itself on free ports (``REDIS_URL`` is
cleared so the component uses its in-process cache and every run starts cold), sends
``POST /model/parse`` sequentially after a warm-up and prints p50/p95/mean for: LLM off;
LLM on, first time a text is seen (the model server is asked); LLM on, repeated text
(cache hit). It prints figures only and asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ml.llm.dataset import read_rasa_nlu  # noqa: E402
from naviyam.config import get_llm_settings  # noqa: E402
from tests.e2e.harness import ensure_model, start_servers  # noqa: E402

WARMUP_TEXTS = ["안녕하세요", "배고파", "쿠폰 있어?", "잔액 알려줘", "고마워"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def parse(servers, text: str) -> tuple[float, dict]:
    request = urllib.request.Request(
        servers.api("/model/parse"), data=json.dumps({"text": text}).encode("utf-8"),
        headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read().decode("utf-8"))
    return (time.perf_counter() - start) * 1000, body


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<34} (no samples)"
    return (f"{name:<34} n={len(values):<4} p50={percentile(values, 50):7.1f} ms  "
            f"p95={percentile(values, 95):7.1f} ms  mean={statistics.fmean(values):7.1f} ms")


def ensure_llm(base: Path, adapter: Path) -> None:
    """Build the tiny dev base model and a quick adapter from data/nlu if missing."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}  # the children's environment
    if not (base / "config.json").exists():
        print(f"building the tiny dev base model into {base} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "ml.llm.build_tiny_model", "--output", str(base),
                        "--pretrain-steps", "200"], cwd=ROOT, env=env, check=True)
    if not (adapter / "adapter_config.json").exists():
        print(f"fine-tuning a quick LoRA adapter into {adapter} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "ml.llm.finetune_lora", "--base-model", str(base),
                        "--output", str(adapter), "--lr", "2e-3", "--batch-size", "8",
                        "--grad-accum", "1", "--max-steps", "150", "--epochs", "3",
                        "--model-name", "tiny-dev"], cwd=ROOT, env=env, check=True,
                       stderr=subprocess.DEVNULL)


def start_model_server(base: Path, adapter: Path, threads: int, log: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": str(threads)}  # the child's environment
    process = subprocess.Popen(
        [sys.executable, "-m", "ml.llm.model_server", "--base-model", str(base), "--adapter", str(adapter),
         "--port", "0", "--threads", str(threads), "--log-level", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError(f"model server exited; log:\n{log.read_text()[-3000:]}")
        if line.startswith("NAVIYAM_LLM_SERVER_LISTENING"):
            return process, f"http://127.0.0.1:{int(line.split()[1])}"
    process.kill()
    raise RuntimeError("model server did not start in time")


def load_texts(limit: int) -> list[str]:
    held_out = ROOT / "tests" / "nlu_test" / "held_out.yml"
    source = held_out if held_out.exists() else ROOT / "data" / "nlu"
    texts = list(dict.fromkeys(example.text for example in read_rasa_nlu([source])))
    return texts[:limit]


def run_phase(model: Path, env: dict, texts: list[str], log_dir: Path, repeat: bool) -> dict:
    servers = start_servers(model, env, log_dir)
    try:
        for text in WARMUP_TEXTS:
            parse(servers, text)
        first, again, sources, llm_ms, errors = [], [], Counter(), [], Counter()
        for text in texts:
            elapsed, body = parse(servers, text)
            first.append(elapsed)
            sources[body.get("intent_source", "-")] += 1
            llm = body.get("llm_nlu") or {}
            if "error" in llm:
                errors[llm["error"]] += 1
            elif "latency_ms" in llm:
                llm_ms.append(float(llm["latency_ms"]))
        if repeat:
            for text in texts:
                again.append(parse(servers, text)[0])
        return {"first": first, "again": again, "sources": sources, "llm_ms": llm_ms, "errors": errors}
    finally:
        servers.stop()


def main(argv=None) -> None:
    llm = get_llm_settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model", type=Path, default=None, help="trained Rasa model (.tar.gz)")
    parser.add_argument("--base-model", type=Path, default=Path(llm.base_model))
    parser.add_argument("--adapter", type=Path, default=Path(llm.adapter or llm.default_adapter_dir))
    parser.add_argument("--requests", type=int, default=120, help="distinct texts per run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the model server")
    args, _unknown = parser.parse_known_args(argv)  # scripts/bench.sh passes its args to every script

    model = args.model or ensure_model()
    if not Path(model).exists():
        print(f"No trained Rasa model at {model}; run scripts/train.sh first.")
        return
    ensure_llm(args.base_model, args.adapter)
    texts = load_texts(args.requests)
    log_dir = Path(tempfile.mkdtemp(prefix="nlu-bench-"))
    llm_process, llm_url = start_model_server(args.base_model, args.adapter, args.threads,
                                              log_dir / "model_server.log")
    try:
        direct = []
        for text in WARMUP_TEXTS + texts[:30]:
            request = urllib.request.Request(f"{llm_url}/v1/nlu/parse", data=json.dumps({"text": text}).encode(),
                                             headers={"Content-Type": "application/json"})
            start = time.perf_counter()
            urllib.request.urlopen(request, timeout=60).read()
            direct.append((time.perf_counter() - start) * 1000)
        direct = direct[len(WARMUP_TEXTS):]
        off = run_phase(model, {"NAVIYAM_LLM_URL": "", "REDIS_URL": ""}, texts, log_dir / "off", repeat=False)
        on = run_phase(model, {"NAVIYAM_LLM_URL": llm_url, "REDIS_URL": ""}, texts, log_dir / "on", repeat=True)
    finally:
        llm_process.terminate()
        llm_process.wait(timeout=10)

    print(f"NLU parse latency through POST /model/parse (Rasa model {model}; LLM {args.base_model.name}"
          f" + {args.adapter.name}, tiny dev model; {len(texts)} texts, sequential)")
    print(summary("LLM off (DIET only)", off["first"]))
    print(summary("LLM on, text seen first time", on["first"]))
    print(summary("LLM on, repeated text (cache hit)", on["again"]))
    print(summary("model server alone (/v1/nlu/parse)", direct))
    print(summary("LLM call inside the component", on["llm_ms"]))
    print(f"intent source with LLM on: {dict(on['sources'])}; LLM fallbacks: {dict(on['errors']) or 0}")
    if on["sources"].get("-") == len(texts):
        print("NOTE: the Rasa model was trained without LLMIntentClassifier; retrain with config.yml.")


if __name__ == "__main__":
    main()
