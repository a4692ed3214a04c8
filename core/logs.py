"""Logging: a refused request is one line ("Forbidden (Permission denied): /path"), never a traceback."""

import logging

REFUSALS = {400, 401, 403, 404, 405, 409, 413}


class RefusalsInOneLine(logging.Filter):
    def filter(self, record):
        status = getattr(record, "status_code", None)
        if status in REFUSALS and record.exc_info:
            exc = record.exc_info[1]
            reason = str(exc).strip()
            if reason:
                record.msg = f"{record.msg} ({reason[:200].replace('%', '%%')})"
            record.exc_info = None
            record.exc_text = None
        return True
