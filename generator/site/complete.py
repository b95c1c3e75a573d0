"""The file a build writes last, so that a server can tell a complete site from one being written."""

BUILD_COMPLETE = "build-complete.json"
"""Written after every other file of the site: a server that sees it may copy the site whole
(the records service serves the last complete build while the next one is written)."""

BUILD_COMPLETE_DATA = b'{"complete": true}\n'
