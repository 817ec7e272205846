"""The T-Bank sandbox checks requests and its own answers against the bank's OpenAPI spec.

The official spec (``tbank-acquiring-api-v2-openapi-1.80.json``, about 1 MB) is
reduced by :func:`extract` to what the four methods we use need: their request
and answer schemas and every schema they reference, without descriptions and
examples.  That subset ships as ``resources/tbank_spec_subset.json``; a test
re-extracts it from the official file and compares, so it cannot drift.

The validator understands exactly the keywords that subset uses (``type``,
``required``, ``properties``, ``items``, ``enum``, ``minLength``/``maxLength``,
``format``, ``oneOf``, ``$ref``).  Two choices follow the spec's own words:

* ``maxLength`` on a ``number`` (``Amount``: 10) limits its digits;
* ``oneOf`` means "any of": the spec's alternatives for ``DATA`` and ``Receipt``
  overlap (every object matches all of them), so strict "exactly one" would
  refuse every ``DATA`` the spec's own examples send.

Limits that the spec states only in prose are checked here from that prose:
``DATA`` (key ≤ 20, value ≤ 100 characters, ≤ 20 pairs) and the
``RedirectDueDate`` format ``YYYY-MM-DDTHH24:MI:SS+GMT``.

The request Token is checked by :func:`spec_token`, written from the spec's
section «Токен» — deliberately not the client's ``make_token``, so a client
Token bug is caught by the sandbox instead of being mirrored by it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cashier_app.resources import RESOURCES

SPEC_FILE_NAME = "tbank-acquiring-api-v2-openapi-1.80.json"
SUBSET_PATH = RESOURCES / "tbank_spec_subset.json"
OPERATIONS = ("Init", "GetState", "CheckOrder", "Cancel")
_DROP = frozenset({"description", "example", "examples", "summary"})

# «Формат даты — YYYY-MM-DDTHH24:MI:SS+GMT. Пример даты: 2016-08-31T12:28:00+03:00.»
REDIRECT_DUE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
DATA_MAX_PAIRS, DATA_MAX_KEY, DATA_MAX_VALUE = 20, 20, 100
# Length errors the spec's error table names per field; anything else is 1 «Параметры не сопоставлены».
LENGTH_CODES = {"TerminalKey": "210", "OrderId": "212", "Description": "213", "CustomerKey": "216",
                "PaymentId": "237", "Token": "236"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True)
class Problem:
    """One place where a message departs from the spec."""

    path: str  # "Receipt.Items[0].Tax"
    kind: str  # required | type | maxLength | minLength | enum | format | data
    text: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.text}"


# --- the subset -----------------------------------------------------------------------------------

def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "properties":
                out[key] = {name: _strip(prop) for name, prop in value.items()}
            elif key not in _DROP:
                out[key] = _strip(value)
        return out
    if isinstance(node, list):
        return [_strip(x) for x in node]
    return node


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for x in node:
            _refs(x, found)


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    """The part of the official spec the sandbox checks: four methods and what they reference."""
    schemas = spec["components"]["schemas"]
    out: dict[str, Any] = {"requests": {}, "answers": {}, "schemas": {}}
    wanted: set[str] = set()
    for op in OPERATIONS:
        post = spec["paths"][f"/v2/{op}"]["post"]
        out["requests"][op] = _strip(post["requestBody"]["content"]["application/json"]["schema"])
        out["answers"][op] = _strip(post["responses"]["200"]["content"]["application/json"]["schema"])
        _refs(out["requests"][op], wanted)
        _refs(out["answers"][op], wanted)
    done: set[str] = set()
    while wanted - done:
        name = sorted(wanted - done)[0]
        done.add(name)
        out["schemas"][name] = _strip(schemas[name])
        _refs(out["schemas"][name], wanted)
    return out


def extract_file(path: str | Path) -> dict[str, Any]:
    return extract(json.loads(Path(path).read_text("utf-8")))


@cache
def subset() -> dict[str, Any]:
    return json.loads(SUBSET_PATH.read_text("utf-8"))  # type: ignore[no-any-return]


# --- the validator -----------------------------------------------------------------------------------

def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    return True


def _length(value: Any) -> int | None:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return len(str(int(abs(value))))  # a number's maxLength counts its digits
    return None


def _format_ok(fmt: str, value: Any) -> bool:
    if not isinstance(value, str):
        return True  # the type check reports it
    if fmt == "date-time":
        return REDIRECT_DUE_DATE.fullmatch(value) is not None
    if fmt == "date":
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
    if fmt == "uri":
        try:
            parts = urlsplit(value)
        except ValueError:
            return False
        return bool(parts.scheme and parts.netloc) and not any(c.isspace() for c in value)
    if fmt == "email":
        return _EMAIL.fullmatch(value) is not None
    return True


def validate(schema: dict[str, Any], value: Any, path: str = "") -> list[Problem]:
    """Every departure of ``value`` from ``schema`` (a subset schema), in document order."""
    if "$ref" in schema:  # OpenAPI 3.0: keywords beside $ref are ignored
        return validate(subset()["schemas"][schema["$ref"].rsplit("/", 1)[-1]], value, path)
    if "oneOf" in schema:
        tries = [validate(alt, value, path) for alt in schema["oneOf"]]
        if not any(not t for t in tries):
            return min(tries, key=len)
    problems: list[Problem] = []
    kind = schema.get("type")
    if isinstance(kind, str) and not _type_ok(kind, value):
        return [Problem(path, "type", f"должно быть {kind}, получено {type(value).__name__}")]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(Problem(path, "enum", f"«{value}» не из списка {schema['enum']}"))
    size = _length(value)
    if size is not None and "maxLength" in schema and size > int(schema["maxLength"]):
        problems.append(Problem(path, "maxLength", f"длиннее {schema['maxLength']}"))
    if size is not None and "minLength" in schema and size < int(schema["minLength"]):
        problems.append(Problem(path, "minLength", f"короче {schema['minLength']}"))
    if "format" in schema and not _format_ok(schema["format"], value):
        problems.append(Problem(path, "format", f"не в формате {schema['format']}"))
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value or value[name] is None:
                problems.append(Problem(_join(path, name), "required", "обязательное поле не передано"))
        for name, prop in (schema.get("properties") or {}).items():
            if name in value and value[name] is not None:
                problems.extend(validate(prop, value[name], _join(path, name)))
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems.extend(validate(schema["items"], item, f"{path}[{i}]"))
    return problems


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _data_problems(data: Any) -> list[Problem]:
    """DATA limits from the spec's prose: ≤ 20 pairs, key ≤ 20, value ≤ 100 characters."""
    if not isinstance(data, dict):
        return []
    out = []
    if len(data) > DATA_MAX_PAIRS:
        out.append(Problem("DATA", "data:pairs", f"больше {DATA_MAX_PAIRS} пар ключ:значение"))
    for key, value in data.items():
        if len(str(key)) > DATA_MAX_KEY:
            out.append(Problem(f"DATA.{key}", "data:key", f"ключ длиннее {DATA_MAX_KEY} знаков"))
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if len(text) > DATA_MAX_VALUE:
            out.append(Problem(f"DATA.{key}", "data:value", f"значение длиннее {DATA_MAX_VALUE} знаков"))
    return out


def request_problems(operation: str, body: dict[str, Any]) -> list[Problem]:
    problems = validate(subset()["requests"][operation], body)
    if operation == "Init":
        problems.extend(_data_problems(body.get("DATA")))
    return problems


def answer_problems(operation: str, payload: dict[str, Any]) -> list[Problem]:
    """A sandbox answer against the method's answer schema.

    The spec gives one answer schema per method and it describes the successful
    answer; the bank's error answers carry only Success/ErrorCode/Message/Details,
    so for ``Success: false`` only those two are required (every field present is
    still checked against its schema).
    """
    schema = subset()["answers"][operation]
    if payload.get("Success") is False:
        schema = resolve(schema)
        schema = {**schema, "required": ["Success", "ErrorCode"]}
    return validate(schema, payload)


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = subset()["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def error_for(problems: list[Problem]) -> tuple[str, str, str]:
    """(ErrorCode, Message, Details) the bank answers for the first problem (spec's error table)."""
    first = problems[0]
    details = "; ".join(str(p) for p in problems[:5])
    root = first.path.split(".", 1)[0].split("[", 1)[0]
    if first.kind == "required":
        return "2", "Отсутствуют обязательные параметры", details
    if first.kind == "data:pairs":
        return "207", "Параметр DATA превышает максимально допустимый размер", details
    if first.kind == "data:key":
        return "208", "Наименование ключа из параметра DATA превышает максимально допустимый размер", details
    if first.kind == "data:value":
        return "209", "Значение ключа из параметра DATA превышает максимально допустимый размер", details
    if root == "RedirectDueDate":
        return "12", "Неверный параметр RedirectDueDate", details
    if first.kind in ("maxLength", "minLength") and root in LENGTH_CODES and first.path == root:
        return LENGTH_CODES[root], f"Неверный размер поля {root}", details
    if root == "Amount" and first.path == root:
        return "247", "Параметр Amount не сопоставлен", details
    if root == "DATA":
        return "250", "Параметр DATA не сопоставлен", details
    return "1", "Параметры не сопоставлены", details


# Agent signs and what the spec says each needs (AgentData, SupplierInfo property descriptions).
AGENT_SIGNS = ("bank_paying_agent", "bank_paying_subagent", "paying_agent", "paying_subagent", "attorney",
               "commission_agent", "another")
_NEEDS_PHONES = ("bank_paying_agent", "bank_paying_subagent", "paying_agent", "paying_subagent")  # 1073
_NEEDS_RECEIVER = ("paying_agent", "paying_subagent")  # 1074
_BANK_AGENTS = ("bank_paying_agent", "bank_paying_subagent")  # 1044, 1075, 1026, 1005, 1016
_PHONE = re.compile(r"\+\d{1,18}")  # «в формате +{Ц}», at most 19 characters (error 316)


def _phones_error(phones: Any, where: str) -> tuple[str, str, str] | None:
    for phone in phones if isinstance(phones, list) else []:
        if not isinstance(phone, str) or len(phone) > 19:
            return "316", "Максимальная длина номера телефона — 19 символов", where
        if not _PHONE.fullmatch(phone):
            return "1", "Параметры не сопоставлены", f"{where}: телефон в формате +{{Ц}}, получено «{phone}»"
    return None


def _agent_error(item: dict[str, Any], where: str) -> tuple[str, str, str] | None:
    """An item's AgentData / SupplierInfo as the spec's descriptions require them (FFD 1.2 tags 1222–1226)."""
    agent, supplier = item.get("AgentData"), item.get("SupplierInfo")
    if agent is None and supplier is None:
        return None
    if not isinstance(agent, dict) or not agent.get("AgentSign"):
        return "318", "Поле AgentSign не должно быть пустым", where
    sign = agent["AgentSign"]
    if sign not in AGENT_SIGNS:
        return "317", "Неверное значение поля agentSign", f"{where}: «{sign}»"
    missing = []
    if sign in _NEEDS_PHONES and not agent.get("Phones"):
        missing.append("AgentData.Phones")
    if sign in _NEEDS_RECEIVER and not agent.get("ReceiverPhones"):
        missing.append("AgentData.ReceiverPhones")
    if sign in _BANK_AGENTS:
        missing += [f"AgentData.{k}" for k in ("OperationName", "TransferPhones", "OperatorName",
                                                 "OperatorAddress", "OperatorInn") if not agent.get(k)]
    for key in ("Phones", "ReceiverPhones", "TransferPhones"):
        bad = _phones_error(agent.get(key), f"{where}.AgentData.{key}")
        if bad:
            return bad
    if not isinstance(supplier, dict) or not supplier:
        return "319", "Поле SupplierInfo не должно быть пустым", where
    if not supplier.get("Inn"):
        return "320", "Поле Inn в объекте SupplierInfo не должно быть пустым", where
    missing += [f"SupplierInfo.{k}" for k in ("Name", "Phones") if not supplier.get(k)]
    bad = _phones_error(supplier.get("Phones"), f"{where}.SupplierInfo.Phones")
    if bad:
        return bad
    if missing:
        return "2", "Отсутствуют обязательные параметры", f"{where}: " + ", ".join(missing)
    return None


def receipt_items_error(receipt: dict[str, Any], amount: Any) -> tuple[str, str, str] | None:
    """A Receipt's own sums and agent data, against the operation's ``amount`` (Init or Cancel)."""
    if not receipt.get("Email") and not receipt.get("Phone"):
        return "329", "email или Phone обязательны при передаче чека", ""
    items = receipt.get("Items") if isinstance(receipt.get("Items"), list) else []
    total = 0
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        price, qty, item_amount = item.get("Price"), item.get("Quantity"), item.get("Amount")
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (price, qty, item_amount)):
            # «Amount — стоимость товара в копейках. Произведение Quantity и Price.»
            if round(price * qty) != item_amount:
                return "1", "Параметры не сопоставлены", f"Items[{n}]: Amount ≠ Price × Quantity"
            total += item_amount
        bad = _agent_error(item, f"Items[{n}]")
        if bad:
            return bad
    payments = receipt.get("Payments")
    if isinstance(payments, dict):
        paid = sum(v for v in payments.values() if isinstance(v, (int, float)) and not isinstance(v, bool))
        if paid != total:
            return "308", "Сумма всех позиций в чеке должна равняться сумме всех видов оплаты", \
                f"позиции {total}, оплаты {paid}"
    # «Amount … должен быть равен сумме всех параметров Amount, переданных в объекте Items.»
    if total != amount:
        return "334", "Суммы в чеке и в платеже не совпадают", f"Amount {amount}, чек {total}"
    return None


def receipt_error(body: dict[str, Any], *, required: bool) -> tuple[str, str, str] | None:
    """Init's Receipt rules (the spec's error table and field descriptions), beyond its schema.

    ``required``: the terminal is connected to the bank's online cash register —
    «Receipt … Обязателен, если подключена онлайн-касса» (error 309).  The agent sign and the
    supplier are checked as the spec describes them: a sign needs the supplier (319, 320) and,
    for payment agents, the agent's and the operator's phones.
    """
    receipt = body.get("Receipt")
    if not receipt:
        return ("309", "Поле Receipt не должно быть пустым", "") if required else None
    if not isinstance(receipt, dict):
        return None  # the schema check has answered already
    return receipt_items_error(receipt, body.get("Amount"))


def cancel_receipt_error(body: dict[str, Any], *, required: bool, full: bool,
                         amount: int) -> tuple[str, str, str] | None:
    """Cancel's Receipt: «при полной отмене структура чека не передается, при частичной — передаются
    товары, которые нужно отменить» — a partial refund on an online-register terminal needs one (309)."""
    receipt = body.get("Receipt")
    if not receipt:
        return ("309", "Поле Receipt не должно быть пустым", "") if required and not full else None
    if not isinstance(receipt, dict):
        return None
    return receipt_items_error(receipt, amount)


# --- Token, from the spec's section «Токен» ----------------------------------------------------------------

def spec_token(body: dict[str, Any], password: str) -> str:
    """The Token as the spec describes it, step by step.

    1. key–value pairs of the ROOT object only; nested objects and arrays (DATA,
       Receipt, Shops) take no part; ``Token`` itself is not signed;
    2. add the pair ``Password``;  3. sort by key;  4. concatenate the values;
    5. SHA-256 over UTF-8.  Values are as the JSON carries them: a string as is,
    a number or a boolean as its JSON text (``19200``, ``true``); nulls are skipped.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in body.items():
        if key == "Token" or value is None or isinstance(value, (dict, list)):
            continue
        pairs.append((key, value if isinstance(value, str) else json.dumps(value)))
    pairs.append(("Password", password))
    pairs.sort(key=lambda kv: kv[0])
    return hashlib.sha256("".join(v for _, v in pairs).encode("utf-8")).hexdigest()


def token_ok(body: dict[str, Any], password: str) -> bool:
    given = body.get("Token")
    return isinstance(given, str) and hmac.compare_digest(spec_token(body, password), given)


__all__ = ["OPERATIONS", "SPEC_FILE_NAME", "Problem", "answer_problems", "cancel_receipt_error", "error_for",
           "extract", "extract_file", "receipt_error", "receipt_items_error", "request_problems", "spec_token", "subset", "token_ok", "validate"]
