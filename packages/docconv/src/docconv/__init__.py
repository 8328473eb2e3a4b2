"""Lossless, fast, streaming and safe JSON <-> XML conversion.

>>> from docconv import json_to_xml, xml_to_json
>>> xml_to_json(json_to_xml('{"price": 1.50, "tags": []}'))
'{"price":1.50,"tags":[]}'
"""

from docconv._api import (
    CheckResult,
    Mapping,
    check,
    first_difference,
    iter_xml_records,
    json_to_xml,
    stream_json_to_xml,
    stream_xml_to_json,
    value_to_xml,
    xml_to_json,
    xml_to_value,
)
from docconv._exceptions import (
    DocconvError,
    DocconvUsageError,
    EntitiesForbiddenError,
    ExternalReferenceError,
    InvalidNameError,
    LimitExceededError,
    LossyConversionError,
    MalformedJSONError,
    MalformedXMLError,
    MappingError,
    ParseError,
    SecurityError,
    UnrepresentableError,
)
from docconv._jsontext import JsonNumber
from docconv._readable import ForceList, force_list_from_xsd
from docconv._safety import Limits
from docconv._stream import iter_json_values
from docconv._version import __version__ as __version__

__all__ = [
    "CheckResult",
    "DocconvError",
    "DocconvUsageError",
    "EntitiesForbiddenError",
    "ExternalReferenceError",
    "ForceList",
    "InvalidNameError",
    "JsonNumber",
    "LimitExceededError",
    "Limits",
    "LossyConversionError",
    "MalformedJSONError",
    "MalformedXMLError",
    "Mapping",
    "MappingError",
    "ParseError",
    "SecurityError",
    "UnrepresentableError",
    "check",
    "first_difference",
    "force_list_from_xsd",
    "iter_json_values",
    "iter_xml_records",
    "json_to_xml",
    "stream_json_to_xml",
    "stream_xml_to_json",
    "value_to_xml",
    "xml_to_json",
    "xml_to_value",
]
