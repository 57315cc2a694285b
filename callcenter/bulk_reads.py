"""Reading customer data page by page through the API is an export: every page read is audited
(who, which filter, which page, how many rows), so a script walking every customer leaves a trace
as a CSV download does."""

from .audit import record_event


class AuditedPages:
    """For a DRF list view: records `page_read_action` for each page it answers."""

    page_read_action = ""

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if response.status_code == 200:
            rows = response.data.get("results", response.data) if isinstance(response.data, dict) else response.data
            filters = {key: value for key, value in request.query_params.items() if key != "page"}
            record_event(
                actor=request.user,
                action=self.page_read_action,
                summary=f"{len(rows)} rows, page {request.query_params.get('page', '1')}",
                path=request.path,
                filters=filters,
                page=request.query_params.get("page", "1"),
                rows=len(rows),
            )
        return response
