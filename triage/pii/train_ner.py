"""Train the small spaCy NER for PERSON and ADDRESS on generated text (synth.py).

    python -m triage.pii.train_ner [--n 5000] [--seed 13] [--epochs 10] [--out DIR]

Why a model at all: rules need capitals and gazetteers; a character-aware model might find
names typed in lower case or missing from every list. Why so small: detection must run at 400+
messages a second on one core, so the network is a narrow hash-embedding CNN (no pretrained
vectors, nothing downloaded). The comparison with the rules is in docs/pii.md.

Reproducible: fixed seeds for the generator, spaCy and thinc; retraining with the defaults wrote
byte-identical weights to the shipped model.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from triage.pii.synth import generate

MODEL_DIR = Path(__file__).resolve().parent / "model" / "ner"
LABELS = ("PERSON", "ADDRESS")

# A narrow tok2vec: 64 wide, 2 layers, 2000-row hash tables with prefix/suffix/shape features.
CONFIG: dict[str, Any] = {
    "model": {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": 48,
        "maxout_pieces": 2,
        "use_upper": True,
        "tok2vec": {
            "@architectures": "spacy.HashEmbedCNN.v2",
            "pretrained_vectors": None,
            "width": 64,
            "depth": 2,
            "embed_size": 2000,
            "window_size": 1,
            "maxout_pieces": 2,
            "subword_features": True,
        },
    }
}


def build_pipeline() -> Language:
    """A blank English pipeline with one NER component (spaCy's rule: tests use blank("en"))."""
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner", config=CONFIG)
    for label in LABELS:
        ner.add_label(label)  # type: ignore[attr-defined]
    return nlp


def to_examples(nlp: Language, lines: list[dict[str, Any]]) -> list[Example]:
    """Labelled lines -> spaCy Examples with PERSON/ADDRESS entities only."""
    examples: list[Example] = []
    for line in lines:
        doc: Doc = nlp.make_doc(line["text"])
        ents = []
        for span in line["gold"]["pii"]:
            if span["type"] not in LABELS:
                continue
            ent = doc.char_span(span["start"], span["end"], label=span["type"],
                                alignment_mode="expand")
            if ent is not None:
                ents.append(ent)
        ents = spacy.util.filter_spans(ents)
        entities = [(e.start_char, e.end_char, e.label_) for e in ents]
        examples.append(Example.from_dict(doc, {"entities": entities}))
    return examples


def train(n: int, seed: int, epochs: int, out: Path) -> dict[str, float]:
    """Generate, train, save; returns the final loss and the training time."""
    fix_random_seed(seed)
    rng = random.Random(seed)
    nlp = build_pipeline()
    examples = to_examples(nlp, generate(n, seed))
    optimizer = nlp.initialize(lambda: examples)
    started = time.perf_counter()
    losses: dict[str, float] = {}
    for epoch in range(epochs):
        rng.shuffle(examples)
        losses = {}
        for batch in minibatch(examples, size=32):
            nlp.update(batch, sgd=optimizer, drop=0.2, losses=losses)
        print(f"epoch {epoch + 1}/{epochs} loss {losses.get('ner', 0.0):.1f}", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    return {"loss": losses.get("ner", 0.0), "seconds": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    result = train(args.n, args.seed, args.epochs, args.out)
    print(f"saved to {args.out}: {result}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
