"""Ingest and query benchmark: `python scripts/benchmark.py [--out-dir DIR] [--tracemalloc]`.

Each phase runs in its own child process so that its peak memory (ru_maxrss) is its own:

  corpus   the committed corpus indexed into a fresh data dir (embedding model load timed apart);
           then retrieval p50/p95 over tests/eval/questions.yaml and extractive answer p50
  pdf100   a generated 100-page Chinese PDF (tests/support/pdfs.py, needs a CJK font) added to that index

Times are wall clock and, in brackets, CPU seconds of the process (all threads): on a shared, busy machine the
CPU figures stay comparable while the wall times stretch. `--tracemalloc` also reports the Python heap peak
(slower: its timings are not comparable then).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def rss_mb() -> float:
    """Current resident set size (Linux /proc), 0 where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


class Timer:
    """Wall and CPU (process, all threads) time of a block."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _settings(data_dir: Path):
    from assistant.config import Settings

    return Settings(data_dir=data_dir, chroma_url=None, llm_backend="none")


def phase_corpus(data_dir: Path, trace: bool) -> dict[str, object]:
    from assistant.embeddings import get_embeddings
    from assistant.eval import load_questions
    from assistant.service import Assistant

    out: dict[str, object] = {"rss_after_imports_mb": round(rss_mb(), 1)}
    start = time.perf_counter()
    embedder = get_embeddings(_settings(data_dir))
    embedder.embed_query("预热")
    out["model_load_s"] = round(time.perf_counter() - start, 2)
    out["rss_after_model_mb"] = round(rss_mb(), 1)

    if trace:
        tracemalloc.start()
    with Timer() as timer:
        a = Assistant.from_settings(_settings(data_dir), progress=False)
    out["ingest_s"], out["ingest_cpu_s"] = round(timer.wall, 2), round(timer.cpu, 2)
    if trace:
        out["ingest_tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    state = a.store.current()
    assert state is not None
    out["chunks"] = len(state.chunks)
    out["sources"] = len(state.manifest)
    out["ingest_peak_rss_mb"] = round(peak_rss_mb(), 1)

    start = time.perf_counter()
    Assistant.from_settings(_settings(data_dir), progress=False)
    out["reopen_unchanged_s"] = round(time.perf_counter() - start, 3)

    questions = [q["question"] for q in load_questions()]
    a.retrieve("预热", k=5)  # loads jieba's dictionary
    walls, cpus = [], []
    for question in questions:
        with Timer() as timer:
            a.retrieve(question, k=5)
        walls.append(timer.wall * 1000)
        cpus.append(timer.cpu * 1000)
    out["questions"] = len(questions)
    out["retrieve_p50_ms"] = round(statistics.median(walls), 1)
    out["retrieve_p95_ms"] = round(percentile(walls, 0.95), 1)
    out["retrieve_cpu_p50_ms"] = round(statistics.median(cpus), 1)
    out["retrieve_cpu_p95_ms"] = round(percentile(cpus, 0.95), 1)

    a.ask("内审怎么做？")  # loads the answerer
    walls, cpus = [], []
    for question in questions:
        with Timer() as timer:
            a.ask(question)
        walls.append(timer.wall * 1000)
        cpus.append(timer.cpu * 1000)
    out["answer_backend"] = a.settings.llm_backend
    out["answer_p50_ms"] = round(statistics.median(walls), 1)
    out["answer_p95_ms"] = round(percentile(walls, 0.95), 1)
    out["answer_cpu_p50_ms"] = round(statistics.median(cpus), 1)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def phase_pdf(data_dir: Path, trace: bool) -> dict[str, object]:
    from support.pdfs import NO_CJK_FONT, find_cjk_font, make_long_pdf

    from assistant.service import Assistant
    from ingest.chunking import chunk_markdown
    from ingest.loaders import load_file

    font = find_cjk_font()
    if font is None:
        return {"skipped": NO_CJK_FONT}
    out: dict[str, object] = {}
    pdf = data_dir.parent / "质量手册-100页.pdf"
    start = time.perf_counter()
    make_long_pdf(pdf, font, pages=100)
    out["generate_s"] = round(time.perf_counter() - start, 2)
    out["pdf_kib"] = pdf.stat().st_size // 1024

    a = Assistant.from_settings(_settings(data_dir), progress=False)  # the index from phase corpus
    out["rss_before_mb"] = round(rss_mb(), 1)
    start = time.perf_counter()
    loaded = load_file(pdf)
    out["load_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    docs = chunk_markdown(loaded.markdown, source="bench")
    out["chunk_s"] = round(time.perf_counter() - start, 3)
    out["pages"] = loaded.pages

    if trace:
        tracemalloc.start()
    with Timer() as timer:
        report = a.ingest_files([pdf], progress=False)
    out["ingest_s"], out["ingest_cpu_s"] = round(timer.wall, 2), round(timer.cpu, 2)
    if trace:
        out["ingest_tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    assert not report.failed, report.failed
    assert report.chunks == len(docs)
    out["chunks"] = report.chunks
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    with Timer() as timer:
        hits = a.retrieve("第57节过程控制要求中计量器具怎么管？", k=5)
    out["retrieve_after_ms"] = round(timer.wall * 1000, 1)
    top = hits[0].metadata
    out["top_hit"] = f"{top['source']} 第{top['page']}页 {top['section']}"
    return out


PHASES = {"corpus": phase_corpus, "pdf100": phase_pdf}


def run_child(phase: str, data_dir: Path, trace: bool) -> dict[str, object]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--data-dir", str(data_dir)]
    if trace:
        cmd.append("--tracemalloc")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"phase {phase} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", choices=sorted(PHASES))
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--out-dir", type=Path, help="keep the data dir here (default: a deleted tmp dir)")
    parser.add_argument("--tracemalloc", action="store_true", help="also report the Python heap peak")
    args = parser.parse_args()

    if args.phase:  # child process: one phase, one JSON line on stdout
        os.environ.setdefault("TQDM_DISABLE", "1")
        print(json.dumps(PHASES[args.phase](args.data_dir, args.tracemalloc), ensure_ascii=False))
        return

    with tempfile.TemporaryDirectory(prefix="qms-bench-") as tmp:
        base = args.out_dir or Path(tmp)
        data_dir = base / "data"
        data_dir.mkdir(parents=True, exist_ok=False)
        print(
            f"质量助手 benchmark · Python {platform.python_version()} · {os.cpu_count()} CPU · "
            f"load avg {os.getloadavg()[0]:.1f}"
        )
        corpus = run_child("corpus", data_dir, args.tracemalloc)
        print("\n[a] committed corpus → fresh data dir")
        print(f"  embedding model load   {corpus['model_load_s']} s  (RSS {corpus['rss_after_model_mb']} MB)")
        print(
            f"  ingest                 {corpus['ingest_s']} s [{corpus['ingest_cpu_s']} s CPU] "
            f"for {corpus['chunks']} chunks from {corpus['sources']} sources"
        )
        print(f"  peak RSS (ru_maxrss)   {corpus['ingest_peak_rss_mb']} MB")
        if "ingest_tracemalloc_peak_mb" in corpus:
            print(f"  Python heap peak       {corpus['ingest_tracemalloc_peak_mb']} MB (tracemalloc)")
        print(f"  reopen unchanged       {corpus['reopen_unchanged_s']} s")
        print(f"\n[c] queries over tests/eval/questions.yaml ({corpus['questions']} questions, k=5, hybrid)")
        print(
            f"  retrieve p50 / p95     {corpus['retrieve_p50_ms']} / {corpus['retrieve_p95_ms']} ms "
            f"[CPU {corpus['retrieve_cpu_p50_ms']} / {corpus['retrieve_cpu_p95_ms']} ms]"
        )
        print(
            f"  answer p50 / p95       {corpus['answer_p50_ms']} / {corpus['answer_p95_ms']} ms "
            f"[CPU p50 {corpus['answer_cpu_p50_ms']} ms] (llm_backend={corpus['answer_backend']})"
        )
        print(f"  peak RSS after queries {corpus['peak_rss_mb']} MB")

        pdf = run_child("pdf100", data_dir, args.tracemalloc)
        print("\n[b] generated 100-page Chinese PDF → the same index")
        if "skipped" in pdf:
            print(f"  skipped: {pdf['skipped']}")
            return
        print(
            f"  PDF                    {pdf['pages']} pages, {pdf['pdf_kib']} KiB (generated in {pdf['generate_s']} s)"
        )
        print(f"  text extraction        {pdf['load_s']} s; chunking {pdf['chunk_s']} s → {pdf['chunks']} chunks")
        print(f"  ingest (load+embed+swap) {pdf['ingest_s']} s [{pdf['ingest_cpu_s']} s CPU]")
        print(f"  peak RSS (ru_maxrss)   {pdf['peak_rss_mb']} MB (RSS before ingest {pdf['rss_before_mb']} MB)")
        if "ingest_tracemalloc_peak_mb" in pdf:
            print(f"  Python heap peak       {pdf['ingest_tracemalloc_peak_mb']} MB (tracemalloc)")
        print(f"  retrieve afterwards    {pdf['retrieve_after_ms']} ms; top hit: {pdf['top_hit']}")


if __name__ == "__main__":
    main()
