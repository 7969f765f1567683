#!/usr/bin/env python3
"""Redo the arithmetic of `futurestack cost --format json`, independently.

Usage: cost-check.py PRICES.yaml REPORTS.json

Reads the price table with PyYAML and every report with json, then checks, in
exact decimals (Python's `decimal`, not futurestack's fixed point): each
line's unit price is the table's, pay-as-you-go is hourly x 730 x quantity
(or per_gib x quantity), subscription is monthly x quantity (or per_gib x
quantity), the totals are the sums, an upgrade's change is the difference
of the two instance prices, and on ACK a cheaper node pool's change is the
difference of the two pools. Exits 1 with the first discrepancy.
"""
import json
import sys
from decimal import Decimal

import yaml

HOURS = Decimal(730)


def dec(value):
    return None if value is None else Decimal(str(value))


def fail(message):
    print(f"cost-check: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    prices_path, reports_path = sys.argv[1:3]
    with open(prices_path, encoding="utf-8") as f:
        table = yaml.safe_load(f)
    with open(reports_path, encoding="utf-8") as f:
        reports = json.load(f)
    prices = table["prices"]
    checked = 0
    for report in reports:
        env = report["environment"]
        if report["currency"] != table["currency"]:
            fail(f"{env}: currency {report['currency']} is not the table's")
        payg_sum = Decimal(0)
        sub_sum = Decimal(0)
        for line in report["lines"]:
            sku = line["sku"]
            if sku not in prices:
                fail(f"{env}: {sku} is not in the table")
            entry = prices[sku]
            for field in ("hourly", "monthly", "per_gib"):
                if dec(entry.get(field)) != dec(line["price"][field]):
                    fail(f"{env}: {sku}.{field} is {line['price'][field]}, the table says {entry.get(field)}")
            qty = Decimal(line["quantity"])
            if entry.get("per_gib") is not None and entry.get("hourly") is None:
                payg = sub = dec(entry["per_gib"]) * qty
            else:
                payg = dec(entry["hourly"]) * HOURS * qty
                sub = dec(entry["monthly"]) * qty
            if Decimal(line["pay_as_you_go"]) != payg:
                fail(f"{env}: {sku} pay-as-you-go is {line['pay_as_you_go']}, expected {payg}")
            if Decimal(line["subscription"]) != sub:
                fail(f"{env}: {sku} subscription is {line['subscription']}, expected {sub}")
            payg_sum += payg
            sub_sum += sub
            checked += 1
        total = report["total"]
        if Decimal(total["pay_as_you_go"]) != payg_sum or Decimal(total["subscription"]) != sub_sum:
            fail(f"{env}: totals {total} are not the sums {payg_sum}, {sub_sum}")
        upgrade = report["upgrade"]
        if upgrade is not None:
            a, b = prices[upgrade["from"]], prices[upgrade["to"]]
            want_payg = (dec(b["hourly"]) - dec(a["hourly"])) * HOURS
            want_sub = dec(b["monthly"]) - dec(a["monthly"])
            change = upgrade["change"]
            if Decimal(change["pay_as_you_go"]) != want_payg or Decimal(change["subscription"]) != want_sub:
                fail(f"{env}: upgrade change {change} is not {want_payg}, {want_sub}")
        pool = report.get("nodes")
        if pool is not None and pool["cheaper"] is not None:
            a, b = prices[pool["instance_type"]], prices[pool["cheaper"]["instance_type"]]
            na, nb = Decimal(pool["nodes"]), Decimal(pool["cheaper"]["nodes"])
            want_payg = (dec(b["hourly"]) * nb - dec(a["hourly"]) * na) * HOURS
            want_sub = dec(b["monthly"]) * nb - dec(a["monthly"]) * na
            change = pool["cheaper"]["change"]
            if Decimal(change["pay_as_you_go"]) != want_payg or Decimal(change["subscription"]) != want_sub:
                fail(f"{env}: node pool change {change} is not {want_payg}, {want_sub}")
            if want_payg >= 0:
                fail(f"{env}: the cheaper node pool costs no less")
    print(f"cost-check: {len(reports)} report(s), {checked} line(s) agree")


main()
