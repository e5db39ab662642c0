"""A train.py run's dev_bpb over time, as ratios to a baseline measured the
same way (dev_eval.py's JSON, e.g. llmz-base's): one line per evaluation.

  python3 training/dev_progress.py STATE/train.log BASE.eval.json
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[2]) as f:
        base = json.load(f)
    with open(sys.argv[1]) as f:
        for line in f:
            entry = json.loads(line)
            bpb = entry.get("dev_bpb")
            if not bpb:
                continue
            cells = [f"{name.removeprefix('rw_')} {v:.3f} ({v / base[name]:.2f})" for name, v in bpb.items() if name in base]
            print(f"step {entry['step']} ({entry['tokens'] / 1e6:.1f} M tokens): " + ", ".join(cells))


if __name__ == "__main__":
    main()
