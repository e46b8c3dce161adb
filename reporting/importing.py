"""Excel (.xlsx) import of party members, resident units and resources for community workers.

The workbook is read with tablib (openpyxl underneath); nothing here parses xlsx by hand.
Every row is validated before anything is written; a dry run stops there, a real run writes
all rows in one transaction or none. The column headers are the file format the city's
templates use, so they are Chinese whatever the UI language; messages are translated.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import tablib
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from portal import audit
from portal.access import Action, areas_for, can, reach
from portal.errors import DomainError, InvalidInput, PermissionDenied
from portal.identity import id_number_hashes, normalise_id_number, validate_id_number
from portal.models import Area, User, validate_mobile_phone
from reporting.models import ResidentUnit, uscc_check_character, validate_credit_code
from reporting.services.roster import create_member, create_unit
from resources.models import NeedCategory, ProviderType, ResourceKind, ResourceTier
from resources.services.resources import create_resource

KINDS = ("members", "units", "resources")
MAX_FILE_BYTES = 2 * 1024 * 1024
# A 2 MB zip can inflate a lot; refuse workbooks that would unpack to more than this.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

COMMUNITY = "社区编码"
ID_NUMBER = "身份证号"


@dataclass(frozen=True)
class Column:
    header: str
    required: bool = True
    max_length: int | None = None
    # Columns added after the city's templates were in use: files without them still import.
    optional_header: bool = False


COLUMNS: dict[str, tuple[Column, ...]] = {
    "members": (
        Column("姓名", max_length=50),
        Column("手机号"),
        Column("党组织", max_length=120),
        Column("工作单位", required=False, max_length=120),
        Column(COMMUNITY),
        Column(ID_NUMBER, required=False, max_length=24, optional_header=True),
    ),
    "units": (
        Column("单位名称", max_length=120),
        Column("单位类型"),
        Column("统一社会信用代码"),
        Column("地址", max_length=200),
        Column(COMMUNITY),
        Column("联系人手机号", required=False),
    ),
    "resources": (
        Column("名称", max_length=120),
        Column("类型"),
        Column("层级", required=False),
        Column("提供方类型"),
        Column("提供方", max_length=120),
        Column("服务类别"),
        Column("容量", required=False),
        Column(COMMUNITY),
    ),
}

# The Chinese labels the file format accepts (codes and the English labels work too).
UNIT_TYPES_ZH = {
    "政府机关": ResidentUnit.UnitType.GOVERNMENT,
    "国有企业": ResidentUnit.UnitType.STATE_ENTERPRISE,
    "民营企业": ResidentUnit.UnitType.PRIVATE_COMPANY,
    "学校": ResidentUnit.UnitType.SCHOOL,
    "医院": ResidentUnit.UnitType.HOSPITAL,
    "社会组织": ResidentUnit.UnitType.SOCIAL_ORGANISATION,
}
RESOURCE_KINDS_ZH = {
    "场地": ResourceKind.VENUE,
    "志愿服务队": ResourceKind.VOLUNTEER_TEAM,
    "技能特长": ResourceKind.SKILL,
    "实物捐赠": ResourceKind.DONATION,
    "资金": ResourceKind.FUNDS,
    "设备": ResourceKind.EQUIPMENT,
    "服务": ResourceKind.SERVICE,
}
RESOURCE_TIERS_ZH = {
    "基础类": ResourceTier.BASE,
    "专业类": ResourceTier.PROFESSIONAL,
    "特色类": ResourceTier.CHARACTERISTIC,
}
PROVIDER_TYPES_ZH = {
    "驻区单位": ProviderType.UNIT,
    "在职党员": ProviderType.MEMBER,
    "居民团体": ProviderType.GROUP,
    "社区": ProviderType.COMMUNITY,
    "政府部门或专业机构": ProviderType.DEPARTMENT,
}
CATEGORY_SEPARATORS = (",", "，", "、", ";", "；")


@dataclass(frozen=True)
class RowError:
    """A problem with one cell (or one row, when ``column`` is empty) of the workbook."""

    row: int  # as Excel numbers it: the header is row 1
    column: str
    message: str


@dataclass
class ImportReport:
    kind: str
    file_name: str
    dry_run: bool
    rows: int = 0
    valid: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Prepared:
    row: int
    fields: dict[str, Any]


class _RowFailed(Exception):
    def __init__(self, row: int, message: str):
        self.row, self.message = row, str(message)


def sanitise_file_name(name: str) -> str:
    """The uploaded file's base name, safe to store and show (no path, no odd characters)."""
    base = os.path.basename((name or "").replace("\\", "/"))
    try:
        return get_valid_filename(base)[:100]
    except Exception:  # SuspiciousFileOperation for names like ".." — nothing worth keeping
        return "upload.xlsx"


def check_workbook_bytes(content: bytes) -> None:
    """Refuse content that is not an .xlsx workbook, whatever its file name says."""
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(_("The file is larger than 2 MB."), field="file")
    if not content.startswith(b"PK\x03\x04"):
        raise InvalidInput(_("This is not an Excel workbook (.xlsx)."), field="file")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InvalidInput(_("This is not an Excel workbook (.xlsx)."), field="file") from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise InvalidInput(_("This is not an Excel workbook (.xlsx)."), field="file")
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidInput(_("The workbook is too large to import."), field="file")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return str(value).strip()


def read_rows(content: bytes, kind: str) -> list[tuple[int, dict[str, str]]]:
    """(Excel row number, {header: cell text}) for each non-empty data row of the first sheet."""
    check_workbook_bytes(content)
    try:
        dataset = tablib.Dataset().load(io.BytesIO(content), format="xlsx")
    except Exception:  # openpyxl and tablib raise many kinds of errors on broken files
        raise InvalidInput(
            _("The workbook could not be read. Save it again as .xlsx from the template."),
            field="file",
        ) from None
    headers = [_text(h) for h in (dataset.headers or [])]
    missing = [c.header for c in COLUMNS[kind] if c.header not in headers and not c.optional_header]
    if missing:
        raise InvalidInput(
            _("Columns missing from the first row: %(columns)s. Start from the template.")
            % {"columns": ", ".join(missing)},
            field="file",
        )
    rows = []
    for index, values in enumerate(dataset):
        cells = {h: _text(v) for h, v in zip(headers, values, strict=False) if h}
        if any(cells.values()):
            rows.append((index + 2, cells))
    if not rows:
        raise InvalidInput(_("The workbook has no data rows."), field="file")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(
            _("At most %(n)s rows can be imported at once.") % {"n": MAX_ROWS}, field="file"
        )
    return rows


class _Checker:
    """Collects errors for one row; shared lookups are loaded once for the whole file."""

    def __init__(self, errors: list[RowError], row: int, cells: dict[str, str]):
        self.errors, self.row, self.cells = errors, row, cells
        self.failed = False

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.row, column, str(message)))
        self.failed = True

    def text(self, column: Column) -> str:
        value = self.cells.get(column.header, "")
        if not value and column.required:
            self.error(column.header, _("This column is required."))
        elif column.max_length and len(value) > column.max_length:
            self.error(column.header, _("At most %(n)s characters.") % {"n": column.max_length})
        return value


def _choice(
    checker: _Checker, header: str, value: str, zh: dict[str, str], choices: list, default=None
) -> str | None:
    if not value:
        return default
    lookup = {k.lower(): v for k, v in zh.items()}
    for code, label in choices:
        lookup[code.lower()] = code
        lookup[str(label).lower()] = code
    found = lookup.get(value.lower())
    if found is None:
        checker.error(
            header, _("Unknown value. Use one of: %(choices)s") % {"choices": "、".join(zh)}
        )
    return found


class _Communities:
    def __init__(self, *, by: User, action: str, rows):
        codes = {cells.get(COMMUNITY, "") for _row, cells in rows} - {""}
        self.by, self.action = by, action
        self.by_code = {a.code: a for a in Area.objects.filter(code__in=codes)}

    def get(self, checker: _Checker) -> Area | None:
        code = checker.text(Column(COMMUNITY))
        if not code:
            return None
        area = self.by_code.get(code)
        if area is None or area.level != Area.Level.COMMUNITY:
            checker.error(COMMUNITY, _("Unknown community code."))
            return None
        if not can(self.by, self.action, area=area):
            checker.error(COMMUNITY, _("Community outside your area."))
            return None
        return area


def _phone(checker: _Checker, header: str, value: str) -> bool:
    try:
        validate_mobile_phone(value)
    except ValidationError as exc:
        checker.error(header, exc.messages[0])
        return False
    return True


def _validate_members(*, by: User, rows) -> tuple[list[_Prepared], list[RowError]]:
    name_col, phone_col, org_col, work_col, _c, id_col = COLUMNS["members"]
    phones = {cells.get(phone_col.header, "") for _r, cells in rows} - {""}
    taken = set()
    for phone, username in User.objects.filter(
        Q(phone__in=phones) | Q(username__in=phones)
    ).values_list("phone", "username"):
        taken.update({phone, username})
    communities = _Communities(by=by, action=Action.ROSTER_CHANGE, rows=rows)
    first_row_of: dict[str, int] = {}
    id_numbers = _IdNumbers(rows, id_col)
    prepared, errors = [], []
    for row, cells in rows:
        check = _Checker(errors, row, cells)
        name = check.text(name_col)
        phone = check.text(phone_col)
        if phone and _phone(check, phone_col.header, phone):
            if phone in first_row_of:
                check.error(
                    phone_col.header,
                    _("This phone number is also on row %(row)s.") % {"row": first_row_of[phone]},
                )
            elif phone in taken:
                check.error(phone_col.header, _("This phone number is already registered."))
            first_row_of.setdefault(phone, row)
        organisation = check.text(org_col)
        workplace = check.text(work_col)
        community = communities.get(check)
        id_number = id_numbers.check(check)
        if not check.failed:
            fields = {
                "real_name": name,
                "phone": phone,
                "party_organisation": organisation,
                "workplace": workplace,
                "community": community,
                "id_number": id_number,
            }
            prepared.append(_Prepared(row, fields))
    return prepared, errors


class _IdNumbers:
    """The optional ID-number column: valid, once per file, and nobody's number already
    (found through the lookup hash: the numbers themselves are stored encrypted)."""

    def __init__(self, rows, column: Column):
        self.column = column
        # Every hash a number may be stored under (current lookup key first, then fallbacks):
        # the first finds repeats within the file, any of them an account that holds it.
        self.digests = {
            row: id_number_hashes(cells.get(column.header, ""))
            for row, cells in rows
            if cells.get(column.header, "")
        }
        candidates = {digest for digests in self.digests.values() for digest in digests}
        self.taken = set(
            User.objects.filter(id_number_hash__in=candidates).values_list(
                "id_number_hash", flat=True
            )
        )
        self.first_row_of: dict[str, int] = {}

    def check(self, checker: _Checker) -> str:
        raw = checker.text(self.column)
        if not raw:
            return ""
        number = normalise_id_number(raw)
        try:
            validate_id_number(number)
        except ValidationError as exc:
            checker.error(self.column.header, exc.messages[0])
            return ""
        digests = self.digests[checker.row]
        digest = digests[0]
        if digest in self.first_row_of:
            checker.error(
                self.column.header,
                _("This ID number is also on row %(row)s.") % {"row": self.first_row_of[digest]},
            )
        elif self.taken.intersection(digests):
            checker.error(
                self.column.header, _("This ID number is already registered to another account.")
            )
        self.first_row_of.setdefault(digest, checker.row)
        return number


def _validate_units(*, by: User, rows) -> tuple[list[_Prepared], list[RowError]]:
    name_col, type_col, code_col, address_col, _c, contact_col = COLUMNS["units"]
    codes = {cells.get(code_col.header, "").upper() for _r, cells in rows} - {""}
    registered = set(
        ResidentUnit.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True)
    )
    contact_phones = {cells.get(contact_col.header, "") for _r, cells in rows} - {""}
    contacts = {u.phone: u for u in User.objects.filter(phone__in=contact_phones, is_active=True)}
    communities = _Communities(by=by, action=Action.ROSTER_CHANGE, rows=rows)
    first_row_of: dict[str, int] = {}
    prepared, errors = [], []
    for row, cells in rows:
        check = _Checker(errors, row, cells)
        name = check.text(name_col)
        unit_type = _choice(
            check,
            type_col.header,
            check.text(type_col),
            UNIT_TYPES_ZH,
            ResidentUnit.UnitType.choices,
        )
        credit_code = check.text(code_col).upper()
        if credit_code:
            try:
                validate_credit_code(credit_code)
            except ValidationError as exc:
                check.error(code_col.header, exc.messages[0])
            else:
                if credit_code in first_row_of:
                    check.error(
                        code_col.header,
                        _("This credit code is also on row %(row)s.")
                        % {"row": first_row_of[credit_code]},
                    )
                elif credit_code in registered:
                    check.error(
                        code_col.header, _("A unit with this credit code is already registered.")
                    )
                first_row_of.setdefault(credit_code, row)
        address = check.text(address_col)
        community = communities.get(check)
        contact = None
        contact_phone = check.text(contact_col)
        if contact_phone and _phone(check, contact_col.header, contact_phone):
            contact = contacts.get(contact_phone)
            if contact is None:
                check.error(contact_col.header, _("No user has this phone number."))
        if not check.failed:
            fields = {
                "name": name,
                "unit_type": unit_type,
                "credit_code": credit_code,
                "address": address,
                "community": community,
                "contact": contact,
            }
            prepared.append(_Prepared(row, fields))
    return prepared, errors


def _validate_resources(*, by: User, rows) -> tuple[list[_Prepared], list[RowError]]:
    name_col, kind_col, tier_col, ptype_col, provider_col, cat_col, cap_col, _c = COLUMNS[
        "resources"
    ]
    categories: dict[str, NeedCategory] = {}
    for category in NeedCategory.objects.filter(is_active=True):
        categories[category.code.lower()] = category
        categories.setdefault(category.name.lower(), category)
    communities = _Communities(by=by, action=Action.RESOURCE_CHANGE, rows=rows)
    prepared, errors = [], []
    for row, cells in rows:
        check = _Checker(errors, row, cells)
        name = check.text(name_col)
        kind = _choice(
            check, kind_col.header, check.text(kind_col), RESOURCE_KINDS_ZH, ResourceKind.choices
        )
        tier = _choice(
            check,
            tier_col.header,
            check.text(tier_col),
            RESOURCE_TIERS_ZH,
            ResourceTier.choices,
            default=ResourceTier.BASE,
        )
        provider_type = _choice(
            check,
            ptype_col.header,
            check.text(ptype_col),
            PROVIDER_TYPES_ZH,
            ProviderType.choices,
        )
        provider = check.text(provider_col)
        raw = check.text(cat_col)
        for separator in CATEGORY_SEPARATORS[1:]:
            raw = raw.replace(separator, ",")
        names = [n.strip() for n in raw.split(",") if n.strip()]
        unknown = [n for n in names if n.lower() not in categories]
        if unknown:
            check.error(
                cat_col.header, _("Unknown category: %(names)s") % {"names": "、".join(unknown)}
            )
        capacity = 1
        raw_capacity = check.text(cap_col)
        if raw_capacity:
            try:
                capacity = int(raw_capacity)
            except ValueError:
                capacity = 0
            if capacity < 1:
                check.error(cap_col.header, _("Enter a whole number of at least 1."))
        community = communities.get(check)
        if not check.failed:
            fields = {
                "name": name,
                "kind": kind,
                "tier": tier,
                "provider_type": provider_type,
                "provider_name": provider,
                "categories": list(dict.fromkeys(categories[n.lower()] for n in names)),
                "capacity": capacity,
                "area": community,
            }
            prepared.append(_Prepared(row, fields))
    return prepared, errors


VALIDATORS: dict[str, Callable] = {
    "members": _validate_members,
    "units": _validate_units,
    "resources": _validate_resources,
}


def _create(kind: str, *, by: User, fields: dict[str, Any]):
    if kind == "members":
        fields = dict(fields)
        id_number = fields.pop("id_number", "")
        member = create_member(**fields)
        if id_number:
            member.user.id_number = id_number  # encrypted on save, with its lookup hash
            member.user.save(update_fields=["id_number"])
        return member
    if kind == "units":
        return create_unit(**fields)
    return create_resource(by=by, **fields)


def _common_area(areas: list[Area]) -> Area | None:
    """The lowest area containing all of ``areas`` (for the audit event's scope)."""
    if not areas:
        return None
    paths = [a.path.rstrip("/").split("/") for a in areas]
    common = os.path.commonprefix(paths)
    if not common:
        return None
    return Area.objects.filter(code=common[-1]).first()


def run_import(
    *, by: User, kind: str, file_name: str, content: bytes, dry_run: bool = True
) -> ImportReport:
    """Validate every row of the workbook; unless it is a dry run and if no row has an error,
    create all rows in one transaction with one audit event. Raises ``InvalidInput`` for a file
    that cannot be read at all; row problems come back in the report.
    """
    if kind not in KINDS:
        raise InvalidInput(_("Choose what to import."), field="kind")
    if not reach(by, Action.ROSTER_CHANGE):
        raise PermissionDenied(_("You cannot import members, units or resources."))
    report = ImportReport(kind=kind, file_name=sanitise_file_name(file_name), dry_run=dry_run)
    rows = read_rows(content, kind)
    report.rows = len(rows)
    prepared, errors = VALIDATORS[kind](by=by, rows=rows)
    report.errors = sorted(errors, key=lambda e: e.row)
    report.valid = len(prepared)
    if report.errors or dry_run:
        return report
    try:
        with transaction.atomic():
            ids = []
            for item in prepared:
                try:
                    obj = _create(kind, by=by, fields=item.fields)
                except DomainError as exc:
                    raise _RowFailed(item.row, exc.message) from exc
                ids.append(obj.pk)
            communities = {
                (item.fields.get("community") or item.fields.get("area")) for item in prepared
            }
            audit.record(
                action="roster.imported",
                actor=by,
                area=_common_area(sorted(communities, key=lambda a: a.path)),
                data={
                    "kind": kind,
                    "file_name": report.file_name,
                    "rows": report.rows,
                    "created": len(ids),
                    "ids": ids,
                    # How many ID numbers the import entered (never the numbers): the import's
                    # counterpart of the person.id_number_changed event.
                    "id_numbers_set": sum(1 for item in prepared if item.fields.get("id_number")),
                },
            )
    except _RowFailed as failed:
        report.errors = [RowError(failed.row, "", failed.message)]
        return report
    except IntegrityError:
        report.errors = [
            RowError(0, "", _("Someone changed the same records meanwhile. Run the import again."))
        ]
        return report
    report.created = len(ids)
    return report


def example_row(kind: str, *, by: User) -> list[str]:
    """One filled-in row for the template, using a community the user may import into."""
    first = (
        areas_for(by, Action.ROSTER_CHANGE, levels=[Area.Level.COMMUNITY]).order_by("path").first()
    )
    code = first.code if first else "310101001001"
    if kind == "members":
        return ["张三", "13800000000", "某某公司党支部", "某某公司", code, ""]
    if kind == "units":
        first17 = "91310101MA1FL0000"
        credit = first17 + uscc_check_character(first17)
        return ["某某科技有限公司", "民营企业", credit, "某某路1号", code, ""]
    category = NeedCategory.objects.filter(is_active=True).order_by("sort_order", "code").first()
    return [
        "社区活动室",
        "场地",
        "基础类",
        "驻区单位",
        "某某科技有限公司",
        category.name if category else "文化体育",
        "30",
        code,
    ]


def template_workbook(kind: str, *, by: User) -> bytes:
    """An .xlsx with the Chinese headers of ``kind`` and one example row."""
    if kind not in KINDS:
        raise InvalidInput(_("Choose what to import."), field="kind")
    dataset = tablib.Dataset(headers=[c.header for c in COLUMNS[kind]], title=kind)
    dataset.append(example_row(kind, by=by))
    return dataset.export("xlsx")
