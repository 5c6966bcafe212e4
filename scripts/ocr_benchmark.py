"""OCR benchmark: `python scripts/ocr_benchmark.py [--pages N] [--ingest-pages 20] [--threads 1]`.

Generated A4 pages at 200 dpi (tests/support/scans.py, needs a CJK font): numbered procedure prose, every fourth
page a six-column process card. Each phase runs in its own child process so that its peak memory (ru_maxrss;
tracemalloc cannot see onnxruntime's buffers) is its own:

  clean     the pages as drawn: character accuracy, seconds a page, peak RSS
  phone     the same pages tilted 1.5°, blurred and saved at JPEG quality 35
  ingest    a scanned PDF of phone pages added to a fresh index of the committed corpus: end-to-end seconds
            (OCR + chunking + embedding + index swap) and peak RSS, then the scanned fact asked and cited

Times are wall clock and, in brackets, CPU seconds of the process (all threads).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def _font() -> Path:
    from support.pdfs import NO_CJK_FONT, find_cjk_font

    font = find_cjk_font()
    if font is None:
        raise SystemExit(NO_CJK_FONT)
    return font


def phase_pages(variant: str, count: int, threads: int) -> dict[str, object]:
    import numpy as np
    from support.scans import char_accuracy, phone_scan, procedure_pages

    from ingest.ocr import page_reader

    pages = procedure_pages(count, _font())
    start = time.perf_counter()
    reader = page_reader(threads)
    reader.read(np.full((200, 400), 255, dtype=np.uint8))  # loads both models
    out: dict[str, object] = {"model_load_s": round(time.perf_counter() - start, 2)}
    accuracies, walls, cpus, skews = [], [], [], []
    for page in pages:
        image = phone_scan(page.image) if variant == "phone" else page.image
        wall, cpu = time.perf_counter(), time.process_time()
        result = reader.read(np.array(image))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        accuracies.append(char_accuracy(page.text, result.markdown))
        skews.append(result.skew)
    out.update(
        pages=count,
        accuracy_mean=round(statistics.mean(accuracies), 4),
        accuracy_min=round(min(accuracies), 4),
        s_per_page=round(statistics.mean(walls), 2),
        s_per_page_max=round(max(walls), 2),
        cpu_s_per_page=round(statistics.mean(cpus), 2),
        deskewed_pages=sum(1 for s in skews if s),
        peak_rss_mb=round(peak_rss_mb(), 1),
    )
    return out


def make_scan_pdf(count: int, work: Path) -> Path:
    from support.scans import phone_scan, procedure_pages, save_image_pdf

    return save_image_pdf([phone_scan(p.image) for p in procedure_pages(count, _font())], work / "扫描程序文件.pdf")


def phase_ingest(count: int, threads: int, work: Path) -> dict[str, object]:
    from support.scans import SCANNED_QUESTION

    from assistant.config import Settings
    from assistant.service import Assistant

    pdf = work / "扫描程序文件.pdf"  # made by the parent: drawing pages is not part of the measurement
    settings = Settings(data_dir=work / "data", chroma_url=None, llm_backend="none", ocr_threads=threads)
    start = time.perf_counter()
    a = Assistant.from_settings(settings, progress=False)
    out: dict[str, object] = {"corpus_index_s": round(time.perf_counter() - start, 2)}
    rss_before = peak_rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    report = a.ingest_files([pdf], progress=False)
    out["pdf_pages"] = count
    out["pdf_kib"] = pdf.stat().st_size // 1024
    out["ingest_s"] = round(time.perf_counter() - wall, 1)
    out["ingest_cpu_s"] = round(time.process_time() - cpu, 1)
    out["failed"] = report.failed
    out["chunks"] = report.chunks
    out["peak_rss_before_ingest_mb"] = round(rss_before, 1)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    answer = a.ask(SCANNED_QUESTION)
    out["answer_cites_scan"] = any(c.label.endswith("（扫描识别）") for c in answer.citations)
    out["warnings"] = next((r["warnings"] for r in a.list_sources() if r["kind"] == "user"), "")
    return out


def run_child(args: list[str]) -> dict[str, object]:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or proc.returncode}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", choices=["clean", "phone", "ingest"])
    parser.add_argument("--pages", type=int, default=8, help="pages per accuracy phase")
    parser.add_argument("--ingest-pages", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    if args.phase in {"clean", "phone"}:
        print(json.dumps(phase_pages(args.phase, args.pages, args.threads), ensure_ascii=False))
        return
    if args.phase == "ingest":
        if not (args.work / "扫描程序文件.pdf").exists():
            make_scan_pdf(args.ingest_pages, args.work)
        print(json.dumps(phase_ingest(args.ingest_pages, args.threads, args.work), ensure_ascii=False))
        return
    results: dict[str, object] = {"machine": f"{platform.machine()}, {platform.python_version()}"}
    common = ["--threads", str(args.threads)]
    for variant in ("clean", "phone"):
        results[variant] = run_child(["--phase", variant, "--pages", str(args.pages), *common])
        print(variant, json.dumps(results[variant], ensure_ascii=False), flush=True)
    with tempfile.TemporaryDirectory(prefix="qms-ocr-bench-") as tmp:
        make_scan_pdf(args.ingest_pages, Path(tmp))
        results["ingest"] = run_child(
            ["--phase", "ingest", "--ingest-pages", str(args.ingest_pages), "--work", tmp, *common]
        )
    print("ingest", json.dumps(results["ingest"], ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
