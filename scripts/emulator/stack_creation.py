"""Asynchronous stack creation: CreateStack answers at once and the resources appear over time, as on AWS."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError

from scripts.emulator.atomic_calls import held, released
from scripts.emulator.registry import addition


@dataclass
class StackCreation:
    """How CreateStack runs: inside the request (moto's way, kept for in-process tests) or, as on AWS, in the
    background while the stack shows CREATE_IN_PROGRESS; ``seconds_per_resource`` is CloudFormation's time per
    resource (0: as fast as moto goes), so an interrupted deploy can be caught part-way."""

    background: bool = False
    seconds_per_resource: float = 0.0

    def update(self, settings: dict[str, Any]) -> None:
        """Apply ``{"background": bool, "seconds_per_resource": number >= 0}`` (either key); bad input raises."""
        unknown = sorted(set(settings) - {"background", "seconds_per_resource"})
        if unknown:
            raise ValueError(f"unknown stack-creation setting(s) {unknown}: allowed background, seconds_per_resource")
        if "background" in settings:
            if not isinstance(settings["background"], bool):
                raise ValueError(f"background must be true or false, not {settings['background']!r}")
            self.background = settings["background"]
        if "seconds_per_resource" in settings:
            seconds = settings["seconds_per_resource"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 60:
                raise ValueError(f"seconds_per_resource must be a number from 0 to 60, not {seconds!r}")
            self.seconds_per_resource = float(seconds)


#: The emulator's one stack-creation setting; the server turns ``background`` on, in-process tests leave it off.
STACK_CREATION = StackCreation()
#: Path that reads (GET) and changes (POST JSON) :data:`STACK_CREATION` on the running server.
STACK_CREATION_PATH = "/moto-api/extensions/stack-creation"
_creating = threading.local()
#: Seconds DeleteStack waits for a background creation to end before deleting what it created.
CREATION_JOIN_SECONDS = 600.0


@addition(
    "stack creation in the background",
    "engine",
    "moto creates every resource inside the CreateStack request, so a deploy interrupted part-way could not be "
    "shown; CloudFormation answers at once and creates resources over time (CREATE_IN_PROGRESS, no outputs yet, "
    "updates refused until it settles, a delete waits for it), and carries on when the client is killed",
)
def _patch_background_creation() -> None:
    original_create_resources = cfn_models.Stack.create_resources
    original_parse = parsing.parse_and_create_resource
    original_outputs = cfn_models.Stack.outputs.fget
    original_update = cfn_models.Stack.update
    original_delete = cfn_models.CloudFormationBackend.delete_stack

    def create_in_background(stack: cfn_models.Stack) -> None:
        _creating.active = True
        try:
            original_create_resources(stack)
        except Exception as error:  # the request that started it is long gone: the stack carries the failure
            stack.status = "CREATE_FAILED"
            stack._add_stack_event("CREATE_FAILED", resource_status_reason=str(error))
        finally:
            _creating.active = False

    def create_resources(self: cfn_models.Stack) -> None:
        if not STACK_CREATION.background:
            return original_create_resources(self)
        self.status = "CREATE_IN_PROGRESS"
        self.creation_thread = threading.Thread(target=create_in_background, args=(self,), daemon=True)
        self.creation_thread.start()
        return None

    def parse_and_create_resource(*args: Any, **kwargs: Any) -> Any:
        if not getattr(_creating, "active", False):
            return original_parse(*args, **kwargs)
        time.sleep(STACK_CREATION.seconds_per_resource)
        with held():  # each resource is created whole, between the API calls served meanwhile
            return original_parse(*args, **kwargs)

    def outputs(self: cfn_models.Stack) -> Any:
        return None if self.status == "CREATE_IN_PROGRESS" else original_outputs(self)

    def update(self: cfn_models.Stack, *args: Any, **kwargs: Any) -> None:
        if self.status.endswith("_IN_PROGRESS"):
            raise ValidationError(message=f"Stack:{self.stack_id} is in {self.status} state and can not be updated.")
        original_update(self, *args, **kwargs)

    def delete_stack(self: cfn_models.CloudFormationBackend, name_or_stack_id: str) -> None:
        stack = self.stacks.get(name_or_stack_id) or next(
            (candidate for candidate in self.stacks.values() if candidate.name == name_or_stack_id), None
        )
        creation = getattr(stack, "creation_thread", None)
        if creation is not None:
            with released():
                creation.join(CREATION_JOIN_SECONDS)
        return original_delete(self, name_or_stack_id)

    cfn_models.Stack.create_resources = create_resources
    parsing.parse_and_create_resource = parse_and_create_resource
    cfn_models.Stack.outputs = property(outputs)
    cfn_models.Stack.update = update
    cfn_models.CloudFormationBackend.delete_stack = delete_stack
    _serve_stack_creation_setting()


def _serve_stack_creation_setting() -> None:
    from moto.moto_api._internal import urls

    def respond(request: Any, _full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        if request.method == "POST":
            try:
                # The raw body, whatever its content type (werkzeug would parse a form-encoded one away).
                length = int(headers.get("Content-Length") or 0)
                STACK_CREATION.update(json.loads(request.environ["wsgi.input"].read(length) or b"{}"))
            except (ValueError, TypeError) as error:
                return 400, {"Content-Type": "application/json"}, json.dumps({"error": str(error)})
        return 200, {"Content-Type": "application/json"}, json.dumps(asdict(STACK_CREATION))

    urls.url_paths["{0}" + STACK_CREATION_PATH] = respond
