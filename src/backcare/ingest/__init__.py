"""FAQ documents into entries, and entries into knowledge-base folders.

``files`` reads FAQ documents (``read_faq``, ``ingest_files``); ``build``
merges them into a knowledge-base folder (``backcare.ingest_to_kb``); the
readers, the decoder and the merge are one module each. This package sits
above ``retrieval`` and ``knowledge``: it builds the folders ``retrieval/kbase.py``
defines (docs/architecture.md, section 2). ``build`` is not imported here, so
reading a file does not load the encoder's numpy side or the retriever.
"""

from backcare.ingest.files import *  # noqa: F403  (the package's names are files.py's)
from backcare.ingest.files import __all__ as __all__
