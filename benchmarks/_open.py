"""Open backcare the way ``make bench``'s worker does (``_worker.py backcare``).

Shared by the profiling, memory and snapshot tools, so that what they measure
is the process the benchmark times: the encoder variant ``BACKCARE_ENCODER``
names, then the pack (``Backcare.open``) or an ingested knowledge-base folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_app(kb: str) -> tuple[Any, str]:
    """A ``Backcare`` over ``kb`` (``pack`` or a folder) and the encoder variant it uses."""
    from backcare import Backcare, default_encoder
    from backcare.settings import Settings

    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )
    if kb == "pack":
        return Backcare.open(encoder, cache_dir=settings.index_dir), settings.encoder
    from backcare import KnowledgeBase, load_pack

    return Backcare(load_pack(), KnowledgeBase.load(Path(kb)), encoder), settings.encoder
