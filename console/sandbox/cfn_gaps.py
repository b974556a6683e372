"""Adapts the AWS emulator's CloudFormation to what this project's stack and the CDK CLI need.

Each patch closes one measured gap of the pinned emulator version (see the field notes), and changes
nothing else. Applied once per process, before the server takes requests.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.cloudformation import exceptions as cfn_exceptions
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.custom_model import CustomModel
from moto.core.common_models import CloudFormationModel
from moto.ec2.models import ec2_backends
from moto.ec2.models.instances import Instance
from moto.ec2.models.vpcs import VPC
from moto.s3.models import FakeBucket, s3_backends
from moto.ssm.models import ssm_backends
from moto.utilities.utils import get_partition

_applied = False
_deleting: dict[str, Any] = {}  # stack id -> stack, while the emulator deletes it
_deleted: set[str] = set()  # stack ids deleted or being deleted: they never create resources again
_GONE = ("DELETE_COMPLETE", "ROLLBACK_COMPLETE")
_fault: dict[str, str] = {}  # "resource": logical id prefix whose creation fails (--sandbox-fail-deploy)


class SandboxResourceFault(Exception):
    """A resource that fails to create on purpose, to exercise a deploy failure and its rollback."""


def fail_resource(prefix: str | None) -> None:
    """From now on, creating a resource whose logical id starts with `prefix` fails (None: nothing fails)."""
    _fault.pop("resource", None)
    if prefix:
        _fault["resource"] = prefix


class ChangeSetNotFound(cfn_exceptions.CloudFormationError):
    code = "ChangeSetNotFound"


class PlacementGroup(CloudFormationModel):
    """AWS::EC2::PlacementGroup, which the emulator skips: a named group with nothing to emulate."""

    def __init__(self, name: str, strategy: str) -> None:
        self.name, self.strategy = name, strategy

    @staticmethod
    def cloudformation_name_type() -> str:
        return "GroupName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::PlacementGroup"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> PlacementGroup:
        return cls(resource_name, cloudformation_json.get("Properties", {}).get("Strategy", "cluster"))

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        return None

    @property
    def physical_resource_id(self) -> str:
        return self.name


def _stack_of(resources_map: Any, account_id: str, region: str) -> Any:
    backend = cfn_models.cloudformation_backends[account_id][region]
    return backend.stacks.get(resources_map.stack_id)


def _add_event(
    stack: Any, logical_id: str, resource_type: str, status: str, reason: str | None = None, physical_id: str = ""
) -> None:
    stack.events.append(
        cfn_models.Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id,
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def _patch_resource_events() -> None:
    """The emulator records only stack-level events; CloudFormation records each resource's too."""
    original = parsing.parse_and_create_resource

    @functools.wraps(original)
    def create_with_events(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
    ) -> Any:
        if resources_map.stack_id in _deleted:
            # The emulator's lazy map would re-create a deleted resource to resolve a Ref (its outputs).
            return None
        stack = _stack_of(resources_map, account_id, region_name)
        rtype = resource_json.get("Type", "")
        if stack is not None:
            _add_event(stack, logical_id, rtype, "CREATE_IN_PROGRESS")
        try:
            prefix = _fault.get("resource")
            if prefix and logical_id.startswith(prefix):
                raise SandboxResourceFault(
                    f'Resource handler returned message: "{logical_id} could not be created (sandbox fault, '
                    '--sandbox-fail-deploy)" (HandlerErrorCode: GeneralServiceException)'
                )
            resource = original(logical_id, resource_json, resources_map, account_id, region_name)
        except Exception as err:
            if stack is not None:
                reason = str(err) if isinstance(err, SandboxResourceFault) else f"{type(err).__name__}: {err}"
                _add_event(stack, logical_id, rtype, "CREATE_FAILED", reason)
            raise
        if stack is not None:  # a type the emulator skips (returns None) still completes, as in AWS
            physical = getattr(resource, "physical_resource_id", "") or ""
            _add_event(stack, logical_id, rtype, "CREATE_COMPLETE", physical_id=str(physical))
        return resource

    parsing.parse_and_create_resource = create_with_events


def _patch_delete_events() -> None:
    """Stack deletion: record each resource's DELETE events, and never re-create what was deleted."""
    original_delete = cfn_models.Stack.delete
    original_delete_resource = parsing.ResourceMap._delete_resource

    def delete(self: Any) -> None:
        _deleting[self.stack_id] = self
        _deleted.add(self.stack_id)
        try:
            original_delete(self)
        finally:
            _deleting.pop(self.stack_id, None)

    def delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        stack = _deleting.get(self.stack_id)
        logical_id = getattr(parsed_resource, "logical_resource_id", "")
        rtype = resource_json.get("Type", "")
        physical = str(getattr(parsed_resource, "physical_resource_id", "") or "")
        if stack is not None:
            _add_event(stack, logical_id, rtype, "DELETE_IN_PROGRESS", physical_id=physical)
        original_delete_resource(self, parsed_resource, resource_json)
        if stack is not None:
            _add_event(stack, logical_id, rtype, "DELETE_COMPLETE", physical_id=physical)

    original_outputs = cfn_models.Stack.outputs.fget  # type: ignore[attr-defined]
    original_exports = cfn_models.Stack.exports.fget  # type: ignore[attr-defined]

    def outputs(self: Any) -> Any:
        # A deleted stack has no outputs (the emulator would resolve them against deleted resources).
        return None if self.stack_id in _deleted and self.status in _GONE else original_outputs(self)

    def exports(self: Any) -> Any:
        return [] if self.stack_id in _deleted and self.status in _GONE else original_exports(self)

    cfn_models.Stack.delete = delete  # type: ignore[method-assign]
    cfn_models.Stack.outputs = property(outputs)  # type: ignore[method-assign, assignment]
    cfn_models.Stack.exports = property(exports)  # type: ignore[method-assign, assignment]
    parsing.ResourceMap._delete_resource = delete_resource  # type: ignore[method-assign]


def _patch_instances_from_launch_template() -> None:
    """AWS::EC2::Instance ignores LaunchTemplate: take image, type, subnet, groups and key from it."""
    original = Instance.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        props = cloudformation_json.setdefault("Properties", {})
        spec = props.get("LaunchTemplate")
        if spec:
            backend = ec2_backends[account_id][region_name]
            template = backend.get_launch_template(spec["LaunchTemplateId"])
            data = template.latest_version().data
            nics = data.get("NetworkInterfaces") or [{}]
            primary = nics[0]
            props.setdefault("ImageId", data.get("ImageId"))
            props.setdefault("InstanceType", data.get("InstanceType"))
            props.setdefault("KeyName", data.get("KeyName"))
            if primary.get("SubnetId"):
                props.setdefault("SubnetId", primary["SubnetId"])
            groups = primary.get("Groups") or data.get("SecurityGroupIds") or []
            props.setdefault("SecurityGroups", groups)
        instance = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        if spec and primary.get("SubnetId"):
            # The launch template's groups belong to the interface; the emulator only knows them by id.
            instance.security_groups = [backend.get_security_group_from_id(g) for g in groups]
        return instance

    Instance.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign, assignment]


def _patch_custom_resources() -> None:
    """Custom resources would run their Lambda in Docker. The stack's only one is CDK's bucket
    auto-delete, emulated at bucket deletion below: complete them at once."""

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> CustomModel:
        model = CustomModel(region_name, "sandbox", kwargs["LogicalId"], resource_name)
        model.set_data({})
        stack = cfn_models.cloudformation_backends[account_id][region_name].get_stack(kwargs["StackId"])
        stack.add_custom_resource(model)
        return model

    CustomModel.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign, assignment]


def _patch_bucket_auto_delete() -> None:
    """What CDK's auto-delete Lambda does: empty a bucket tagged for it before CloudFormation deletes it."""
    original = FakeBucket.delete_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def delete(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> None:
        backend = s3_backends[account_id][get_partition(region_name)]
        bucket = backend.buckets.get(resource_name)
        if bucket is not None:
            tags = backend.get_bucket_tagging(resource_name).get("Tags", [])
            if any(t.get("Key") == "aws-cdk:auto-delete-objects" and t.get("Value") == "true" for t in tags):
                for key in list(bucket.keys.keys()):
                    backend.delete_object(resource_name, key)
        original(cls, resource_name, cloudformation_json, account_id, region_name)

    FakeBucket.delete_from_cloudformation_json = classmethod(delete)  # type: ignore[method-assign, assignment]


def _patch_change_set_execution() -> None:
    """After ExecuteChangeSet: rebuild outputs and exports (the CLI reads them), and retire the change set
    as CloudFormation does (a kept one makes the next `cdk deploy` wait for it forever)."""
    original = cfn_models.CloudFormationBackend.execute_change_set

    def execute(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.describe_change_set(change_set_name)
        try:
            original(self, change_set_name, stack_name)
        except SandboxResourceFault as err:
            _roll_back(self, change_set, err)
            return
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()  # the emulator sets the template text but keeps the empty parsed one
        stack.description = stack.template_dict.get("Description")
        stack.output_map = stack._create_output_map()
        for export in stack.exports:
            self.exports[export.name] = export
        self.change_sets.pop(change_set.change_set_id, None)

    cfn_models.CloudFormationBackend.execute_change_set = execute  # type: ignore[method-assign]


def _roll_back(backend: Any, change_set: Any, err: Exception) -> None:
    """What CloudFormation does when a resource fails: roll the stack back and say which one failed."""
    stack = backend.stacks[change_set.stack_id]
    failed = [e.logical_resource_id for e in stack.events if e.resource_status == "CREATE_FAILED"]
    stack._add_stack_event(
        "ROLLBACK_IN_PROGRESS",
        resource_status_reason=f"The following resource(s) failed to create: [{', '.join(failed)}]. "
        "Rollback requested by user.",
    )
    _deleting[stack.stack_id] = stack
    _deleted.add(stack.stack_id)  # never re-created (the emulator's lazy map would retry on every Ref)
    try:
        stack.resource_map.delete()
    except Exception:  # a half-created emulator resource may not delete cleanly; the stack is gone anyway
        pass
    finally:
        _deleting.pop(stack.stack_id, None)
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")
    change_set.execution_status = "EXECUTE_FAILED"
    change_set.status_reason = str(err)
    backend.change_sets.pop(change_set.change_set_id, None)


def _patch_change_set_lookup() -> None:
    """A missing change set is `ChangeSetNotFound` (the CLI waits for exactly that after deleting one);
    deleting one that is already gone is a no-op (the emulator crashes on it)."""
    original = cfn_models.CloudFormationBackend.delete_change_set
    original_describe = cfn_models.CloudFormationBackend.describe_change_set

    def describe(self: Any, change_set_name: str) -> Any:
        try:
            return original_describe(self, change_set_name)
        except cfn_exceptions.ValidationError:
            raise ChangeSetNotFound(f"ChangeSet [{change_set_name}] does not exist") from None

    def delete(self: Any, change_set_name: str) -> None:
        known = change_set_name in self.change_sets or any(
            cs.change_set_name == change_set_name for cs in self.change_sets.values()
        )
        if known:
            original(self, change_set_name)

    cfn_models.CloudFormationBackend.delete_change_set = delete  # type: ignore[method-assign]
    cfn_models.CloudFormationBackend.describe_change_set = describe  # type: ignore[method-assign]


def _patch_vpc_teardown() -> None:
    """The emulator cannot delete route tables or detach gateways through CloudFormation, so a VPC
    with a route to an internet gateway is never deletable: do what CloudFormation's deletes do."""
    original = VPC.delete_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def delete(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> None:
        backend = ec2_backends[account_id][region_name]
        for table in list(backend.route_tables.values()):
            if table.vpc_id == resource_name and table.main_association_id is None:
                table._associations.clear()
                backend.route_tables.pop(table.id, None)
        for igw in list(backend.internet_gateways.values()):
            if igw.vpc is not None and igw.vpc.id == resource_name:
                igw.vpc = None
                backend.internet_gateways.pop(igw.id, None)
        original(cls, resource_name, cloudformation_json, account_id, region_name)

    VPC.delete_from_cloudformation_json = classmethod(delete)  # type: ignore[method-assign, assignment]


def _patch_ssm_parameter_updates() -> None:
    """On an update the emulator feeds the previous, already resolved value (an AMI id) back in as if it
    were a parameter path, and crashes on the missing parameter: keep such a value as it is."""
    original = parsing.ResourceMap.parse_ssm_parameter

    def parse(self: Any, value: str, value_type: str) -> Any:
        found = ssm_backends[self._account_id][self._region_name].get_parameter(value)
        if found is None and not str(value).startswith("/"):
            return value
        return original(self, value, value_type)

    parsing.ResourceMap.parse_ssm_parameter = parse  # type: ignore[method-assign]


def _patch_no_op_updates() -> None:
    """An update with the same template is "no changes" in CloudFormation; the emulator compares the
    CLI's parameter list (previous-value markers) too, executes, and replaces resources with fresh names.
    The sandbox does not notice a parameter-only change (the AMI parameter resolves to one fixed image)."""
    original = cfn_models.CloudFormationBackend.create_change_set

    def create(
        self: Any,
        stack_name: str,
        change_set_name: str,
        template: str,
        parameters: dict[str, str],
        description: str,
        change_set_type: str,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[str, str]:
        change_set_id, stack_id = original(
            self,
            stack_name,
            change_set_name,
            template,
            parameters,
            description,
            change_set_type,
            *args,
            **kwargs,
        )
        change_set = self.change_sets[change_set_id]
        stack = self.stacks[stack_id]
        if change_set_type == "UPDATE" and stack.template_dict == change_set.template_dict:
            change_set.status = "FAILED"
            change_set.execution_status = "UNAVAILABLE"
            change_set.status_reason = (
                "The submitted information didn't contain changes. Submit different information to create a change set."
            )
            change_set.changes = []
        return change_set_id, stack_id

    cfn_models.CloudFormationBackend.create_change_set = create  # type: ignore[method-assign]


def _patch_termination_protection() -> None:
    """UpdateTerminationProtection is missing from the emulator; a protected stack refuses deletion."""
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult

    def update(self: Any) -> ActionResult:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection", False)
        return ActionResult({"StackId": stack.stack_id})

    original_delete = cfn_models.CloudFormationBackend.delete_stack

    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        for stack in self.stacks.values():
            if name_or_stack_id in (stack.name, stack.stack_id) and stack.enable_termination_protection:
                raise cfn_exceptions.ValidationError(
                    message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
                )
        original_delete(self, name_or_stack_id)

    CloudFormationResponse.update_termination_protection = update  # type: ignore[attr-defined]
    cfn_models.CloudFormationBackend.delete_stack = delete_stack  # type: ignore[method-assign]


def apply() -> None:
    global _applied
    if _applied:
        return
    _patch_resource_events()
    _patch_delete_events()
    _patch_instances_from_launch_template()
    _patch_custom_resources()
    _patch_bucket_auto_delete()
    _patch_change_set_execution()
    _patch_change_set_lookup()
    parsing.get_model_map()[PlacementGroup.cloudformation_type()] = PlacementGroup
    _patch_vpc_teardown()
    _patch_ssm_parameter_updates()
    _patch_no_op_updates()
    _patch_termination_protection()
    _applied = True
