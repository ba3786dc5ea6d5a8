"""Folders: own only what we render.

A folder's config.xml holds more than jenkins-docker renders: folder-scoped credentials
(``FolderCredentialsProvider$FolderCredentialsProperty``), other properties, health metrics, an
icon, views made in the UI. Posting a folder config replaces all of it (JENKINS-FACTS, "Learned by
auditing"), so an existing folder is never overwritten with the rendered document: :func:`merge`
takes the live config and changes only what the inventory manages, its description and its
list view (``jenkins.view``), by name. Everything else stays as Jenkins has it.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Callable

from jenkins_docker.sync import xmlcompare

_LIST_VIEW = "hudson.model.ListView"


def merge(live: str, rendered: str, ours: Callable[[str], bool] = lambda description: True) -> tuple[str, list[str]]:
    """The live folder config with the rendered description and list views put in, and notes.

    A rendered list view replaces the live view of the same name when ``ours`` says that view's
    description is this inventory's (or is added when there is none); a view of that name made
    by someone else is left alone, with a note. Every other element of the live config is kept.
    """
    root = xmlcompare.parse(live)
    new = xmlcompare.parse(rendered)
    _set_description(root, new.findtext("description") or "")
    views = new.findall("folderViews/views/" + _LIST_VIEW)
    notes: list[str] = []
    if views:
        holder = root.find("folderViews")
        if holder is None:
            rendered_holder = new.find("folderViews")
            assert rendered_holder is not None
            root.append(rendered_holder)
        else:
            notes = _put_views(holder, views, ours)
    body = xmlcompare.control_refs(ET.tostring(root, encoding="unicode"))
    version = "1.1" if "&#x" in body else "1.0"  # control characters as references need XML 1.1
    return f"<?xml version='{version}' encoding='UTF-8'?>\n{body}\n", notes


def _set_description(root: ET.Element, text: str) -> None:
    element = root.find("description")
    if element is None:
        element = ET.Element("description")
        root.insert(0, element)
    element.text = text


def _put_views(holder: ET.Element, views: list[ET.Element], ours: Callable[[str], bool]) -> list[str]:
    container = holder.find("views")
    if container is None:
        container = ET.SubElement(holder, "views")
    notes = []
    for view in views:
        name = view.findtext("name")
        for index, existing in enumerate(list(container)):
            if existing.findtext("name") != name:
                continue
            if existing.tag == _LIST_VIEW and ours(existing.findtext("description") or ""):
                container[index] = view
            else:
                notes.append(f"view {name!r} exists and is not this inventory's: left alone")
            break
        else:
            container.append(view)
    return notes
