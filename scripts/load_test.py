"""Load test of the running web app: N concurrent users ask through gradio_client's /ask endpoint.

    python scripts/load_test.py --url http://127.0.0.1:7860 --users 20 --timeout 120

Each user (one thread, one client session) asks `--requests` questions; everything is bounded by `--timeout`
seconds overall. Prints latency p50/p95/max and the errors; exits 1 if any request failed or timed out.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from gradio_client import Client

QUESTIONS = [
    "内审怎么做？",
    "过程识别卡要写哪些内容？",
    "质量目标怎么定？",
    "不合格品怎么处理？",
    "管理评审要输入哪些内容？",
    "小微企业建立质量管理体系分几步？",
    "外包过程怎么控制？",
    "什么是过程方法？",
    "文件和记录怎么管理？",
    "顾客满意怎么测量？",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run(url: str, users: int, requests: int, timeout: float) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + timeout

    def user(n: int) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # the report should list every failure, whatever its kind
            with lock:
                errors.append(f"用户 {n} 无法连接：{exc}")
            return
        for i in range(requests):
            if time.monotonic() > deadline:
                with lock:
                    errors.append(f"用户 {n} 第 {i + 1} 次请求未开始：已超过总时限")
                return
            question = QUESTIONS[(n + i) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                text = client.predict(question, api_name="/ask")
                ok = isinstance(text, str) and bool(text.strip())
            except Exception as exc:
                ok, text = False, f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors.append(f"用户 {n}「{question}」失败：{str(text)[:200]}")

    pool = ThreadPoolExecutor(max_workers=users, thread_name_prefix="qms-user")
    futures = [pool.submit(user, n) for n in range(users)]
    _, pending = wait(futures, timeout=max(0.0, deadline - time.monotonic()) + 5)
    pool.shutdown(wait=False, cancel_futures=True)
    with lock:
        if pending:
            errors.append(f"{len(pending)} 个用户在 {timeout:.0f} 秒内没有完成")
        return list(latencies), list(errors)


def main() -> int:
    parser = argparse.ArgumentParser(description="对质量助手网页版的 /ask 接口做并发压力测试。")
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--users", type=int, default=20, help="并发用户数（线程数）")
    parser.add_argument("--requests", type=int, default=1, help="每个用户的提问次数")
    parser.add_argument("--timeout", type=float, default=120, help="总时限（秒）")
    args = parser.parse_args()
    if not 1 <= args.users <= 200 or not 1 <= args.requests <= 100:
        parser.error("--users 应在 1–200 之间，--requests 应在 1–100 之间")

    started = time.perf_counter()
    latencies, errors = run(args.url, args.users, args.requests, args.timeout)
    wall = time.perf_counter() - started
    total = args.users * args.requests
    print(f"地址 {args.url}：{args.users} 个并发用户 × {args.requests} 次 = {total} 次请求，用时 {wall:.1f} 秒")
    if latencies:
        print(
            f"成功 {len(latencies)} 次；延迟 p50 {percentile(latencies, 0.5):.2f} 秒，"
            f"p95 {percentile(latencies, 0.95):.2f} 秒，最大 {max(latencies):.2f} 秒，"
            f"平均 {statistics.mean(latencies):.2f} 秒；吞吐 {len(latencies) / wall:.2f} 次/秒"
        )
    print(f"错误 {len(errors)} 个")
    for line in errors[:20]:
        print("  - " + line)
    return 1 if errors or len(latencies) < total else 0


if __name__ == "__main__":
    sys.exit(main())
