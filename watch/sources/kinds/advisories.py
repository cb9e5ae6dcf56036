"""kind: advisories — security advisories on the stack's packages from OSV: /v1/querybatch, then /v1/vulns/ID.

The source's `url` is OSV's querybatch address (or the API's base). Its packages are those of the stack
(feeds.yaml's `stack.manifests` and the manifests of the sources `feeds stack` added), with the version
pinned when there is one. Each advisory is one item keyed by its OSV id alone, whichever source or
package brought it: a revision (withdrawn, a new fix) changes the item's text and so updates it in place.
Advisories that name each other as aliases (GHSA-... and PYSEC-... for the same flaw) are one item.

GitHub Security Advisories are the alternative (the source's `url` is settings.fetch.github_api +
`/advisories`; the derived source takes it when a GitHub token is set): `GET /advisories?ecosystem=pip&
affects=NAME@VERSION` per package, each answer turned into OSV's form (GHSA id, CVE alias, CVSS vectors,
`vulnerable_version_range` and `first_patched_version` as a range) and read as OSV's, so an advisory is keyed
by its GHSA id whichever database told it: filed once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from packaging.utils import canonicalize_name

from ...dedup import entry_id, link_fields
from ...errors import FetchError, ParseError
from ...http.client import HostLimiter, fetch
from ...records import Advisory, AffectedRange, Dependency, Entry, FetchResult, FetchSettings, ParsedFeed, Source
from ..affected import affects
from ..parse import iso_datetime
from .base import SourceKind
from .registry_json import registry_json

_QUERY_BATCH = "/v1/querybatch"
_MAX_QUERIES = 1000  # OSV's limit per querybatch call
_MAX_PAGES = 10


class Advisories(SourceKind):
    """OSV's advisories on the stack's packages, each one item."""

    name = "advisories"
    releases = False

    @property
    def default_extract(self) -> str:
        """The advisory is the text: its osv.dev page is never fetched."""
        return "never"

    def assemble(self, client: httpx.Client, source: Source, settings: FetchSettings, limiter: HostLimiter | None,
                 previous: str | None) -> FetchResult | None:
        """Query OSV for the packages, then read each advisory found now or last time (to see revisions)."""
        packages = list(source.packages)
        if is_github(source.url, settings):
            return _github_document(client, source, packages, settings, limiter, previous)
        base = source.url.removesuffix(_QUERY_BATCH).rstrip("/")
        ids = _query(client, base, packages, settings, limiter)
        ids |= set(_known_ids(previous))
        vulns = []
        for osv_id in sorted(ids):
            try:
                result = _get(client, f"{base}/v1/vulns/{quote(osv_id, safe='')}", settings, limiter)
            except FetchError as exc:
                if exc.status == 404:
                    continue  # deleted from OSV: the archived item stays as it was
                raise
            vulns.append(registry_json(result.content, "an OSV advisory"))
        document = {"packages": [_package_json(p) for p in packages], "vulns": vulns}
        content = json.dumps(document, sort_keys=True).encode()
        return FetchResult(url=source.url, final_url=source.url, status=200, content=content,
                           content_type="application/json")

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """One entry per advisory (aliases merged) that names one of the packages."""
        document = registry_json(content, "an advisories document")
        if not isinstance(document, dict) or not isinstance(document.get("vulns"), list):
            raise ParseError("not an advisories document (no 'vulns' list)")
        packages = {(_key(p["ecosystem"], p["name"])): Dependency(p["ecosystem"], p["name"], p.get("pinned"), "",
                                                                  p.get("manifest", ""))
                    for p in document.get("packages") or [] if isinstance(p, dict) and p.get("name")}
        entries = []
        for group in _alias_groups([v for v in document["vulns"] if isinstance(v, dict) and v.get("id")]):
            advisory = _advisory(group, packages)
            if advisory is not None:
                entries.append(_entry(source, advisory, group[0]))
        state = json.dumps({"ids": sorted({str(v["id"]) for v in document["vulns"] if isinstance(v, dict)
                                           and v.get("id")})})
        return ParsedFeed(title="Security advisories (OSV)", link="https://osv.dev", language=None,
                          entries=tuple(entries), format="osv-json", state=state)


# --------------------------------------------------------------------------------------------------
# Asking GitHub

GITHUB_ECOSYSTEMS = {"PyPI": "pip", "npm": "npm", "Go": "go", "crates.io": "rust"}
_OSV_ECOSYSTEMS = {v: k for k, v in GITHUB_ECOSYSTEMS.items()}
_PER_PAGE = 100
_BOUND = re.compile(r"^\s*(>=|<=|>|<|=)?\s*(\S+)\s*$")


def is_github(url: str, settings: FetchSettings) -> bool:
    """Whether an advisories source's `url` is GitHub's global advisories API (settings.fetch.github_api)."""
    return url.rstrip("/") == f"{settings.github_api}/advisories"


def _github_document(client: httpx.Client, source: Source, packages: Sequence[Dependency], settings: FetchSettings,
                     limiter: HostLimiter | None, previous: str | None) -> FetchResult:
    """GitHub's advisories on each package (at its pinned version), and again those known from last time."""
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if settings.github_token:
        headers["Authorization"] = f"Bearer {settings.github_token}"
    base = source.url.rstrip("/")
    found: dict[str, dict[str, Any]] = {}
    for package in packages:
        ecosystem = GITHUB_ECOSYSTEMS.get(package.ecosystem)
        if ecosystem is None:
            continue
        pinned = package.pinned.removeprefix("v") if package.pinned and package.ecosystem == "Go" else package.pinned
        affects_value = f"{package.name}@{pinned}" if pinned else package.name
        for page in range(1, _MAX_PAGES + 1):
            query = {"ecosystem": ecosystem, "affects": affects_value, "per_page": _PER_PAGE, "page": page}
            url = f"{base}?{urlencode(query)}"
            answer = registry_json(_get(client, url, settings, limiter, headers=headers).content,
                                   "a GitHub advisories answer")
            if not isinstance(answer, list):
                raise FetchError("GitHub answered without a list of advisories", url=url)
            for record in answer:
                if isinstance(record, dict) and record.get("ghsa_id"):
                    found.setdefault(str(record["ghsa_id"]), record)
            if len(answer) < _PER_PAGE:
                break
    for ghsa_id in sorted(set(_known_ids(previous)) - set(found)):
        if not ghsa_id.startswith("GHSA-"):
            continue
        try:
            record = registry_json(_get(client, f"{base}/{quote(ghsa_id, safe='')}", settings, limiter,
                                        headers=headers).content, "a GitHub advisory")
        except FetchError as exc:
            if exc.status == 404:
                continue  # gone from GitHub: the archived item stays as it was
            raise
        if isinstance(record, dict) and record.get("ghsa_id"):
            found[ghsa_id] = record
    vulns = [github_to_osv(found[i]) for i in sorted(found)]
    document = {"packages": [_package_json(p) for p in packages], "vulns": vulns}
    return FetchResult(url=source.url, final_url=source.url, status=200,
                       content=json.dumps(document, sort_keys=True).encode(), content_type="application/json")


def github_to_osv(record: dict[str, Any]) -> dict[str, Any]:
    """A GitHub global advisory in OSV's form: GHSA id, CVE alias, CVSS vectors, ranges from
    `vulnerable_version_range` (">= 4.0.0, < 4.17.21") and `first_patched_version`, references."""
    severities = record.get("cvss_severities") if isinstance(record.get("cvss_severities"), dict) else {}
    vectors = [(kind, (severities.get(key) or {}).get("vector_string")) for kind, key in
               (("CVSS_V4", "cvss_v4"), ("CVSS_V3", "cvss_v3"))]
    old = record.get("cvss") if isinstance(record.get("cvss"), dict) else {}
    if old.get("vector_string"):
        vectors.append(("CVSS_V3", old["vector_string"]))
    severity = [{"type": kind, "score": str(vector)} for kind, vector in dict.fromkeys(vectors) if vector]
    affected = []
    for vulnerability in record.get("vulnerabilities") or []:
        if not isinstance(vulnerability, dict) or not isinstance(vulnerability.get("package"), dict):
            continue
        package = vulnerability["package"]
        ecosystem = _OSV_ECOSYSTEMS.get(str(package.get("ecosystem") or "").lower())
        if ecosystem is None or not package.get("name"):
            continue
        events, versions = _github_range(str(vulnerability.get("vulnerable_version_range") or ""),
                                         vulnerability.get("first_patched_version"))
        affected.append({"package": {"ecosystem": ecosystem, "name": str(package["name"])},
                         "ranges": [{"type": "ECOSYSTEM", "events": events}] if events else [],
                         "versions": versions})
    identifiers = [str(i.get("value")) for i in record.get("identifiers") or []
                   if isinstance(i, dict) and i.get("value") and i.get("type") != "GHSA"]
    aliases = list(dict.fromkeys([*([str(record["cve_id"])] if record.get("cve_id") else []), *identifiers]))
    references = [str(r) for r in record.get("references") or [] if isinstance(r, str)]
    if record.get("html_url"):
        references.append(str(record["html_url"]))
    return {"id": str(record["ghsa_id"]), "aliases": aliases, "summary": str(record.get("summary") or ""),
            "details": str(record.get("description") or ""), "published": record.get("published_at"),
            "modified": record.get("updated_at") or record.get("published_at") or "",
            "withdrawn": record.get("withdrawn_at"), "severity": severity, "affected": affected,
            "references": [{"type": "WEB", "url": url} for url in dict.fromkeys(references)]}


def _github_range(text: str, patched: Any) -> tuple[list[dict[str, str]], list[str]]:
    """OSV events (introduced, fixed or last_affected) and single versions of a GitHub version range."""
    introduced, fixed, last, exact = "0", None, None, []
    for part in text.split(","):
        match = _BOUND.match(part)
        if not part.strip() or match is None:
            continue
        operator, version = match.groups()
        if operator in (">=", ">"):
            introduced = version  # "> x" is rare: read as from x on, x itself hardly ever released twice
        elif operator == "<":
            fixed = version
        elif operator == "<=":
            last = version
        else:
            exact.append(version)
    if isinstance(patched, dict):  # the older form: {"identifier": "4.17.21"}
        patched = patched.get("identifier")
    fixed = fixed or (str(patched) if patched else None)
    if exact and fixed is None and last is None:
        return [], exact
    events: list[dict[str, str]] = [{"introduced": introduced}]
    if fixed:
        events.append({"fixed": fixed})
    elif last:
        events.append({"last_affected": last})
    return events, exact


# --------------------------------------------------------------------------------------------------
# Asking OSV


def _get(client: httpx.Client, url: str, settings: FetchSettings, limiter: HostLimiter | None,
         body: bytes | None = None, headers: dict[str, str] | None = None) -> FetchResult:
    return fetch(client, url, max_bytes=settings.max_bytes, total_timeout=settings.total_timeout_seconds,
                 limiter=limiter, headers=headers or {"Accept": "application/json"}, post_json=body)


def _query(client: httpx.Client, base: str, packages: Sequence[Dependency], settings: FetchSettings,
           limiter: HostLimiter | None) -> set[str]:
    """The ids of the advisories OSV lists for the packages (at their pinned version when there is one)."""
    ids: set[str] = set()
    for start in range(0, len(packages), _MAX_QUERIES):
        queries = [_osv_query(p) for p in packages[start:start + _MAX_QUERIES]]
        for _page in range(_MAX_PAGES):
            answer = registry_json(_get(client, base + _QUERY_BATCH, settings, limiter,
                                        json.dumps({"queries": queries}).encode()).content, "an OSV querybatch answer")
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list):
                raise FetchError("OSV answered without 'results'", url=base + _QUERY_BATCH)
            more = []
            for query, result in zip(queries, results, strict=False):
                result = result if isinstance(result, dict) else {}
                ids.update(str(v["id"]) for v in result.get("vulns") or [] if isinstance(v, dict) and v.get("id"))
                if result.get("next_page_token"):
                    more.append({**query, "page_token": result["next_page_token"]})
            if not more:
                break
            queries = more
    return ids


def _osv_query(package: Dependency) -> dict[str, Any]:
    query: dict[str, Any] = {"package": {"ecosystem": package.ecosystem, "name": package.name}}
    if package.pinned:
        # OSV writes Go versions without go.mod's leading "v".
        query["version"] = package.pinned.removeprefix("v") if package.ecosystem == "Go" else package.pinned
    return query


def _package_json(package: Dependency) -> dict[str, Any]:
    return {"ecosystem": package.ecosystem, "name": package.name, "pinned": package.pinned,
            "manifest": package.manifest}


def _known_ids(previous: str | None) -> list[str]:
    try:
        state = json.loads(previous or "{}")
    except json.JSONDecodeError:
        return []
    ids = state.get("ids") if isinstance(state, dict) else None
    return [str(i) for i in ids] if isinstance(ids, list) else []


# --------------------------------------------------------------------------------------------------
# Reading advisories


def _key(ecosystem: str, name: str) -> tuple[str, str]:
    if ecosystem == "PyPI":
        return ecosystem, canonicalize_name(name)
    return ecosystem, name if ecosystem == "Go" else name.casefold()


def _alias_groups(vulns: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Advisories grouped when one names another as an alias; the group's first is the one that keys it."""
    groups: list[tuple[set[str], list[dict[str, Any]]]] = []
    for vuln in sorted(vulns, key=lambda v: str(v["id"])):
        names = {str(vuln["id"]), *map(str, vuln.get("aliases") or [])}
        joined = [g for g in groups if g[0] & names]
        for group in joined:
            groups.remove(group)
            names |= group[0]
        members = [m for g in joined for m in g[1]] + [vuln]
        groups.append((names, members))
    return [sorted(members, key=_primary_rank) for _, members in groups]


def _primary_rank(vuln: dict[str, Any]) -> tuple[int, str]:
    """GitHub's advisory keys a group when there is one (every ecosystem has them), else the smallest id."""
    return (0 if str(vuln["id"]).startswith("GHSA-") else 1, str(vuln["id"]))


def _advisory(group: Sequence[dict[str, Any]], packages: dict[tuple[str, str], Dependency]) -> Advisory | None:
    primary = group[0]
    found = [(packages[_key(str(a["package"].get("ecosystem")), str(a["package"].get("name")))], a)
             for vuln in group for a in vuln.get("affected") or []
             if isinstance(a, dict) and isinstance(a.get("package"), dict)
             and _key(str(a["package"].get("ecosystem")), str(a["package"].get("name"))) in packages]
    if not found:
        return None
    package = found[0][0]
    affected = [a for dep, a in found if dep == package]
    ranges = tuple(_ranges(affected))
    versions = tuple(dict.fromkeys(str(v) for a in affected for v in a.get("versions") or []))
    fixed = tuple(dict.fromkeys(r.fixed for r in ranges if r.fixed))
    withdrawn = next((str(v["withdrawn"]) for v in group if v.get("withdrawn")), None)
    ids = {str(v["id"]) for v in group}
    aliases = tuple(sorted((ids | {str(a) for v in group for a in v.get("aliases") or []}) - {str(primary["id"])}))
    severity = tuple(dict.fromkeys(f"{s.get('type')} {s.get('score')}" for v in group
                                   for s in v.get("severity") or [] if isinstance(s, dict) and s.get("score")))
    references = tuple(dict.fromkeys(str(r["url"]) for v in group for r in v.get("references") or []
                                     if isinstance(r, dict) and str(r.get("url", "")).startswith(("https://",
                                                                                                  "http://"))))
    pinned = package.pinned
    hit = None if pinned is None else (withdrawn is None and affects(package.ecosystem, pinned, ranges, versions))
    return Advisory(id=str(primary["id"]), aliases=aliases, summary=str(primary.get("summary") or
                                                                        next((v.get("summary") for v in group
                                                                              if v.get("summary")), "") or ""),
                    modified=max(str(v.get("modified") or "") for v in group), withdrawn=withdrawn,
                    severity=severity, ecosystem=package.ecosystem, package=package.name, ranges=ranges,
                    versions=versions, fixed=fixed, references=references, pinned=pinned, affects_pinned=hit,
                    manifest=package.manifest)


def _ranges(affected: Iterable[dict[str, Any]]) -> Iterable[AffectedRange]:
    """OSV's ECOSYSTEM and SEMVER ranges as (introduced, fixed, last_affected) spans (GIT ranges name commits)."""
    for entry in affected:
        for span in entry.get("ranges") or []:
            if not isinstance(span, dict) or span.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue
            introduced = None
            for event in span.get("events") or []:
                if not isinstance(event, dict):
                    continue
                if "introduced" in event:
                    introduced = str(event["introduced"])
                elif "fixed" in event:
                    yield AffectedRange(introduced, str(event["fixed"]))
                    introduced = None
                elif "last_affected" in event:
                    yield AffectedRange(introduced, None, str(event["last_affected"]))
                    introduced = None
            if introduced is not None:
                yield AffectedRange(introduced, None)


def _entry(source: Source, advisory: Advisory, primary: dict[str, Any]) -> Entry:
    key = f"osv:{advisory.id}"
    url = f"https://osv.dev/vulnerability/{quote(advisory.id, safe='')}"
    title = f"{advisory.package}: {advisory.summary or advisory.id}"
    if advisory.withdrawn:
        title = f"Withdrawn: {title}"
    published = iso_datetime(primary.get("published")) or iso_datetime(advisory.modified)
    # The id alone keys it (no source name): two sources or packages never file it twice.
    return Entry(id=entry_id("advisories", key), source=source.name, guid=key, **link_fields(url), title=title,
                 author=None, published=published, feed_html=_html(advisory, str(primary.get("details") or "")),
                 advisory=advisory)


def _html(advisory: Advisory, details: str) -> str:
    """The advisory as the item's text; every value escaped (OSV records are written by strangers too)."""
    def line(label: str, value: str) -> str:
        return f"<p><b>{escape(label)}</b>: {escape(value)}</p>" if value else ""
    ranges = "; ".join(f">= {r.introduced or '0'}, " + (f"< {r.fixed}" if r.fixed else
                                                         f"<= {r.last_affected}" if r.last_affected else "no fix")
                       for r in advisory.ranges)
    if advisory.pinned is None:
        verdict = "no version pinned"
    else:
        verdict = f"{advisory.pinned}: {'affected' if advisory.affects_pinned else 'not affected'}"
    parts = [f"<p>{escape(advisory.summary)}</p>" if advisory.summary else "",
             line("Package", f"{advisory.package} ({advisory.ecosystem})"),
             line("Aliases", ", ".join(advisory.aliases)), line("Severity", ", ".join(advisory.severity)),
             line("Affected", ranges), line("Fixed in", ", ".join(advisory.fixed)),
             line("Pinned in " + advisory.manifest if advisory.manifest else "Pinned", verdict),
             line("Withdrawn", advisory.withdrawn or ""), line("Modified", advisory.modified),
             f"<pre>{escape(details)}</pre>" if details else ""]
    refs = "".join(f'<li><a href="{escape(url)}">{escape(url)}</a></li>' for url in advisory.references)
    return "".join(parts) + (f"<ul>{refs}</ul>" if refs else "")
