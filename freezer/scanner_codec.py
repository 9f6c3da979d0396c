"""Records (frozen dataclasses, such as Analysis) as plain tuples for marshal, and
back: each record a tuple of its fields in order, records nested in a field (one, or
a list or tuple of them) likewise; every other value as it is."""

from __future__ import annotations

import dataclasses
import itertools
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional, TypeVar

_Record = TypeVar("_Record")


@dataclass(frozen=True)
class _Codec:
    """How the records of one class travel: the names of its fields in order, and
    for each field holding records (the others marshal takes as they are) its index,
    the record class and the sequence type holding several (None: it holds one)."""

    names: tuple[str, ...]
    nested: tuple[tuple[int, type, Optional[type]], ...]


_CODECS: dict[type, _Codec] = {}


def _codec(cls: type) -> _Codec:
    """A record class's codec, read once from its type hints."""
    codec = _CODECS.get(cls)
    if codec is None:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        nested = (_nested(index, hints[field.name]) for index, field in enumerate(fields))
        codec = _CODECS[cls] = _Codec(tuple(field.name for field in fields),
                                      tuple(found for found in nested if found))
    return codec


def _nested(index: int, hint: object) -> Optional[tuple[int, type, Optional[type]]]:
    """How a field of type `hint` holds records: one (`ImportRecord`), several
    (`list[ImportRecord]`, `tuple[ImportRecord, ...]`), or none."""
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return index, hint, None
    container, args = typing.get_origin(hint), typing.get_args(hint)
    if container in (list, tuple) and args and dataclasses.is_dataclass(args[0]) \
            and isinstance(args[0], type):
        return index, args[0], container
    return None


def encode(record: object) -> tuple[Any, ...]:
    codec = _codec(type(record))
    values = [getattr(record, name) for name in codec.names]
    for index, _, many in codec.nested:
        value = values[index]
        values[index] = encode(value) if many is None else many(map(encode, value))
    return tuple(values)


def decode(cls: type[_Record], data: Sequence[Any]) -> _Record:
    """A record from encode's tuple; fields go in by position, as dataclasses order
    them (a record class takes all its fields in __init__)."""
    codec = _codec(cls)
    values = list(data)
    for index, nested, many in codec.nested:
        value = values[index]
        if many is None:
            values[index] = decode(nested, value)
        elif _codec(nested).nested:
            values[index] = many(decode(nested, item) for item in value)
        else:  # records of plain fields, the common case: straight from their tuples
            values[index] = many(itertools.starmap(nested, value))
    return cls(*values)
