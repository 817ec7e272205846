"""A Russian postal address split into the boxes of ф. 112ЭП — or refused, naming the part.

The documents print the address line exactly as the cashier typed it; only the
post-office form needs it in boxes (region, district, settlement, city,
microdistrict and street, house, flat).  Every comma-separated part must land
in exactly one box, kept verbatim (with its «обл.», «г.», «ул.»): a part that
fits no box is an error naming it, never silently dropped — a rule the old
splitter broke («г.о. Домодедово» became the city «о. Домодедово» and the
street after a microdistrict vanished).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr

ADDRESS_FIELD = N_("Адрес плательщика")

BOX_LABELS: dict[str, str] = {
    "postal_index": N_("Индекс"),
    "region": N_("Регион"),
    "district": N_("Район"),
    "settlement": N_("Населённый пункт"),
    "city": N_("Город"),
    "street": N_("Улица, микрорайон"),
    "house": N_("Дом"),
    "flat": N_("Квартира"),
}

FEDERAL_CITIES = ("Москва", "Санкт-Петербург", "Севастополь")  # i18n: data

# Each box: the patterns that recognise a part for it.  Checked in this order:
# the more specific first («г.о.» before «г.», «д. 5» before «д. Ивановка»).
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("postal_index", re.compile(r"^\d{6}$")),
    ("flat", re.compile(r"^(кв|квартира|оф|офис|пом|помещение|комн|комната)(\.|\s|$)", re.I)),  # i18n: data
    ("house", re.compile(
        r"^((д|дом|вл|влд|владение)\.?\s*\d|(корп|к|корпус|стр|строение|лит|литера|соор|сооружение)(\.|\s)\s*\S"  # i18n: data
        r"|\d+[а-яА-ЯёЁa-zA-Z]?([/-]\d+[а-яА-ЯёЁ]?)?$)", re.I)),
    ("district", re.compile(
        r"(^|\s)(р-н|район|г\.\s?о\.|городской\s+округ|м\.\s?о\.|м\.\s?р-н|муниципальный\s+(район|округ)"  # i18n: data
        r"|муницип\.\s+(р-н|район|округ)|у\.|улус|кожуун)(\s|$|\.)", re.I)),
    ("region", re.compile(
        r"(^|\s)(обл\.?|область|край|респ\.?|республика|а\.?\s?о\.?|ао|автономный\s+округ|"  # i18n: data
        r"автономная\s+область)(\s|$)", re.I)),
    ("city", re.compile(r"^(г\.|г\s|город\s)", re.I)),  # i18n: data
    ("settlement", re.compile(
        r"^(пос\.|п\.|поселок|посёлок|пгт\.?\s|рп\.?\s|р\.\s?п\.|с\.|село\s|д\.|дер\.|деревня\s|ст-ца|станица\s|"  # i18n: data
        r"х\.|хутор\s|аул\s|снт\s|сл\.|слобода\s|ст\.|станция\s)", re.I)),
    ("street", re.compile(
        r"(^|\s)(ул\.?|улица|пр-т|пр-кт|просп\.?|проспект|пер\.?|переулок|ш\.|шоссе|б-р|бульвар|наб\.?|набережная|"  # i18n: data
        r"пл\.?|площадь|мкр\.?|микрорайон|мкрн\.?|проезд|пр-д|тракт|аллея|ал\.|туп\.?|тупик|линия|кв-л|квартал|"
        r"спуск|тер\.?|территория)(\s|$)", re.I)),
)
# Boxes that hold more than one part (joined with «, »): «мкр. Северный, ул. Ленина»; «д. 1, корп. 2».
_MULTI = frozenset({"street", "house"})


@dataclass(frozen=True, slots=True)
class AddressParts:
    """The boxes of ф. 112ЭП; every value is text the cashier typed, unchanged."""

    postal_index: str = ""
    region: str = ""
    district: str = ""
    settlement: str = ""
    city: str = ""
    street: str = ""
    house: str = ""
    flat: str = ""

    @property
    def locality(self) -> str:
        return self.city or self.settlement

    def line(self) -> str:
        """The parts as one line in the usual order (for an address given by parts)."""
        return ", ".join(p for p in (self.postal_index, self.region, self.district, self.settlement, self.city,
                                     self.street, self.house, self.flat) if p)


def squeeze_spaces(text: str) -> str:
    """Runs of whitespace (line breaks included) become one space: the code cannot carry line breaks."""
    return " ".join((text or "").split())


def _classify(part: str) -> str | None:
    for box, pattern in _RULES:
        if pattern.search(part):
            return box
    if part in FEDERAL_CITIES:
        return "city"
    return None


def parse_address(text: str, field: str = ADDRESS_FIELD) -> AddressParts:
    """Split a typed address into boxes; :class:`ValidationError` names a part that fits none.

    A part without a recognisable abbreviation («Домодедово», «Ленина») goes to
    the locality box while that is empty, then to the street box; a second
    region, district, city or flat is refused rather than guessed.
    """
    boxes: dict[str, list[str]] = {k: [] for k in BOX_LABELS}
    for raw in squeeze_spaces(text).split(","):
        part = raw.strip()
        if not part:
            continue
        box = _classify(part)
        if box is None:
            if not boxes["city"] and not boxes["settlement"]:
                box = "city"
            elif not boxes["street"] and not boxes["house"]:
                box = "street"
            else:
                raise ValidationError(field, tr("«{part}» не подходит ни к одной графе ф. 112ЭП — "
                                                "добавьте сокращение (обл., р-н, г., пос., ул., д., кв.)",
                                                part=part))
        if box == "postal_index" and boxes["postal_index"]:
            box = "house" if boxes["street"] else None  # «101000» twice: a house number only after a street
            if box is None:
                raise ValidationError(field, tr("второй почтовый индекс «{part}»", part=part))
        if boxes[box] and box not in _MULTI:
            raise ValidationError(field, tr("«{part}»: графа «{box}» уже занята «{taken}»", part=part,
                                            box=tr(BOX_LABELS[box]), taken=boxes[box][0]))
        boxes[box].append(part)
    return AddressParts(**{k: ", ".join(v) for k, v in boxes.items()})
