"""Server-side pagination and the one-template-per-fragment habit shared by every console list.

A list page is one template whose `results` block is the inside of its `<div id="results">`: a full
request renders the page, an htmx request aimed at that element (search as you type, next page)
renders only the block, which htmx swaps into it. Every fragment of a page is rendered this one way:
the block named like the element it fills (`relink_members` fills `#relink-members`).
"""
import math
from dataclasses import dataclass

from flask import render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block
from peewee import prefetch

from store.ids import as_id

PER_PAGE = 50


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.pages


def page_number():
    """The `page` asked for: a whole number from 1; anything else is page 1."""
    return request.args.get("page", 1, type=as_id)


def _within(number, total, per_page):
    """`number`, or the last page when it is beyond it (so no offset outgrows what a database counts)."""
    return min(number, max(1, math.ceil(total / per_page)))


def paginate(query, number=None, per_page=PER_PAGE, related=()):
    """One page of `query` (already ordered) and the total it was cut from.

    `related` are the models (or queries) the page's rows show through a back-reference: they are
    read for the whole page in one query each (peewee's prefetch), not once per row.
    """
    total = query.count()
    number = _within(number or page_number(), total, per_page)
    rows = query.paginate(number, per_page)
    items = list(prefetch(rows, *related) if related else rows)
    return Page(items, number, per_page, total)


def page_of(items, number=None, per_page=PER_PAGE):
    """One page of a list computed in Python (already ordered), and the total it was cut from."""
    number = _within(number or page_number(), len(items), per_page)
    return Page(items[(number - 1) * per_page:number * per_page], number, per_page, len(items))


def render_list(template, block="results", *, block_template=None, **context):
    """The whole page, or only its `block` when htmx asks to fill the element the block fills.

    `block_template` is the template that holds the block when the page includes it from another."""
    if request.htmx and request.htmx.target == block.replace("_", "-"):
        return render_block(block_template or template, block, **context)
    return render_template(template, **context)
