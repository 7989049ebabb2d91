#!/usr/bin/env python3
"""Data-parallel cost model of seed-keras at full width (docs/DISTRIBUTED.md).

step(p) = compute(p) + allreduce(p)
compute(p) = T1 * (b / p) / b0            T1: one step of b0 images on one node
allreduce(p) = 2 (p - 1) / p * S / BW + 2 (p - 1) * lat   (ring all-reduce)
efficiency(p) = compute(p) / step(p)
epoch(p) = ceil(N / b) * step(p) + E1 / p  (E1: one node's evaluation pass)

Writes cost_model.json next to this file and prints the Markdown tables.
"""
import json
import math
import os

# Inputs.
T1 = 1.29            # s: seed-keras training step, full width, batch 64, one 2-core node
B0 = 64              # images of that step
PARAMS = 5_097_242   # seed-keras parameters at width 1 (computed from the architecture)
S = PARAMS * 4       # bytes of the f32 gradient (the fused buffer; + 3 statistics, + 1 flag per parameter tensor)
EVAL_PER_IMAGE = T1 / B0 / 3   # s: a forward is about a third of a training step
TRAIN, TEST = 60_000, 10_000
EPOCHS = 35
LINKS = {"10 Gb/s": (10e9 / 8, 50e-6), "100 Gb/s": (100e9 / 8, 2e-6)}  # bytes/s, per-message latency


def row(p, batch, bw, lat):
    compute = T1 * (batch / p) / B0
    comm = 2 * (p - 1) / p * S / bw + 2 * (p - 1) * lat
    step = compute + comm
    epoch = math.ceil(TRAIN / batch) * step + EVAL_PER_IMAGE * TEST / p
    return {
        "nodes": p, "global_batch": batch, "per_rank_batch": batch // p,
        "compute_ms": compute * 1e3, "allreduce_ms": comm * 1e3, "step_ms": step * 1e3,
        "efficiency": compute / step, "epoch_s": epoch, "wall_35_epochs_h": EPOCHS * epoch / 3600,
    }


one_node_epoch = math.ceil(TRAIN / B0) * T1 + EVAL_PER_IMAGE * TEST
rows = []
for link, (bw, lat) in LINKS.items():
    for p in (8, 32, 128):
        # The recipe's batch 64 where p divides it (8, 32); 128 ranks need a global batch of 128.
        batch = B0 if B0 % p == 0 else p
        rows.append({"link": link, "scaling": "recipe batch", **row(p, batch, bw, lat)})
        rows.append({"link": link, "scaling": "64 per node", **row(p, 64 * p, bw, lat)})

out = {
    "model": "seed-keras", "width": 1.0, "parameters": PARAMS, "gradient_bytes": S,
    "step_seconds_one_node": T1, "step_batch": B0,
    "step_source": "README bench table: 'seed-keras training step, full width, batch 64', 1289 ms "
                   "(1.29-1.34 s), 2 threads on one 2-core AMD EPYC (family 23, model 1) host",
    "links": {k: {"bytes_per_second": v[0], "latency_seconds": v[1]} for k, v in LINKS.items()},
    "one_node_35_epochs_hours": EPOCHS * one_node_epoch / 3600,
    "rows": rows,
}
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "cost_model.json"), "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")

print(f"one node: {one_node_epoch:.0f} s per epoch, {out['one_node_35_epochs_hours']:.1f} h for {EPOCHS} epochs")
for scaling in ("recipe batch", "64 per node"):
    print(f"\n{scaling}:\n")
    print("| link | nodes | global batch | per rank | compute ms | all-reduce ms | step ms | efficiency | 35 epochs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r["scaling"] != scaling:
            continue
        print(f"| {r['link']} | {r['nodes']} | {r['global_batch']} | {r['per_rank_batch']} | "
              f"{r['compute_ms']:.1f} | {r['allreduce_ms']:.1f} | {r['step_ms']:.1f} | "
              f"{100 * r['efficiency']:.0f}% | {r['wall_35_epochs_h']:.2f} h |")
