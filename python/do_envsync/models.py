"""Typed wrappers over the exact JSON of DigitalOcean App Platform objects.

GENERATED FILE, do not edit by hand. ``tools/gen_models.py`` writes it from DigitalOcean's
OpenAPI bundle (shared/openapi/apps-bundle.json) together with the Rust models in
``src/models/generated.rs``; run ``python3 tools/gen_models.py`` after changing the generator,
and ``python3 tools/gen_models.py --check`` to verify this file is current.

Each class wraps a plain ``dict`` holding the JSON exactly as the API sent it: unknown keys,
``null`` values and values of an undocumented type stay untouched, and key order is kept, so
``to_dict()`` gives back exactly what was read plus the changes made through properties.
Properties read and write one documented key each: setting ``None`` removes the key; a value
that does not have the documented type reads as ``None`` (the raw value stays in the dict).
Nested models and lists of models wrap the inner dicts, so changes made through them show up
in the outer object. String enums are plain ``str`` values; a ``Literal`` alias per enum (same
name as the Rust enum) lists the documented values. ``repr()`` never shows a secret.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from ._model_base import (
    _CIPHERTEXT_PREFIX,
    Model,
    _as_object,
    _get_bool,
    _get_float,
    _get_int,
    _get_ints,
    _get_list,
    _get_model,
    _get_models,
    _get_str,
    _get_strs,
    _set,
)

# String enums: the documented values (the API may send others).
AccountStatus = Literal["active", "warning", "locked"]
AppAlertEmail = str
AppAlertPhase = Literal["UNKNOWN", "PENDING", "CONFIGURING", "ACTIVE", "ERROR"]
AppAlertProgressStepStatus = Literal["UNKNOWN", "PENDING", "RUNNING", "ERROR", "SUCCESS"]
AppAlertSpecOperator = Literal["UNSPECIFIED_OPERATOR", "GREATER_THAN", "LESS_THAN"]
AppAlertSpecRule = Literal[
    "UNSPECIFIED_RULE",
    "CPU_UTILIZATION",
    "MEM_UTILIZATION",
    "RESTART_COUNT",
    "DEPLOYMENT_FAILED",
    "DEPLOYMENT_LIVE",
    "DOMAIN_FAILED",
    "DOMAIN_LIVE",
    "AUTOSCALE_FAILED",
    "AUTOSCALE_SUCCEEDED",
    "FUNCTIONS_ACTIVATION_COUNT",
    "FUNCTIONS_AVERAGE_DURATION_MS",
    "FUNCTIONS_ERROR_RATE_PER_MINUTE",
    "FUNCTIONS_AVERAGE_WAIT_TIME_MS",
    "FUNCTIONS_ERROR_COUNT",
    "FUNCTIONS_GB_RATE_PER_SECOND",
    "REQUESTS_PER_SECOND",
    "REQUEST_DURATION_P95_MS",
]
AppAlertSpecWindow = Literal[
    "UNSPECIFIED_WINDOW",
    "FIVE_MINUTES",
    "TEN_MINUTES",
    "THIRTY_MINUTES",
    "ONE_HOUR",
]
AppComponentHealthState = Literal["UNKNOWN", "HEALTHY", "UNHEALTHY"]
AppComponentInstanceBaseInstanceSizeSlug = Literal[
    "apps-s-1vcpu-0.5gb",
    "apps-s-1vcpu-1gb-fixed",
    "apps-s-1vcpu-1gb",
    "apps-s-1vcpu-2gb",
    "apps-s-2vcpu-4gb",
    "apps-d-1vcpu-0.5gb",
    "apps-d-1vcpu-1gb",
    "apps-d-1vcpu-2gb",
    "apps-d-1vcpu-4gb",
    "apps-d-2vcpu-4gb",
    "apps-d-2vcpu-8gb",
    "apps-d-4vcpu-8gb",
    "apps-d-4vcpu-16gb",
    "apps-d-8vcpu-32gb",
    "basic-xxs",
    "basic-xs",
    "basic-s",
    "basic-m",
    "professional-xs",
    "professional-s",
    "professional-m",
    "professional-1l",
    "professional-l",
    "professional-xl",
]
AppDatabaseSpecEngine = Literal[
    "UNSET",
    "MYSQL",
    "PG",
    "REDIS",
    "MONGODB",
    "KAFKA",
    "OPENSEARCH",
    "VALKEY",
]
AppDomainSpecType = Literal["UNSPECIFIED", "DEFAULT", "PRIMARY", "ALIAS"]
AppDomainSpecMinimumTlsVersion = Literal["1.2", "1.3"]
AppEgressTypeSpec = Literal["AUTOASSIGN", "DEDICATED_IP"]
AppEventType = Literal["UNKNOWN", "DEPLOYMENT", "AUTOSCALING"]
AppEventAutoscalingPhase = Literal[
    "UNKNOWN",
    "PENDING",
    "IN_PROGRESS",
    "SUCCEEDED",
    "FAILED",
    "CANCELED",
]
AppInstanceComponentType = Literal["SERVICE", "WORKER", "JOB"]
AppJobInvocationPhase = Literal[
    "UNKNOWN",
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "CANCELED",
    "SKIPPED",
]
AppJobInvocationTriggerType = Literal["MANUAL", "SCHEDULE", "UNKNOWN"]
AppJobSpecKind = Literal["UNSPECIFIED", "PRE_DEPLOY", "POST_DEPLOY", "FAILED_DEPLOY"]
AppRollbackValidationConditionCode = Literal[
    "incompatible_phase",
    "incompatible_result",
    "exceeded_revision_limit",
    "app_pinned",
    "database_config_conflict",
    "region_conflict",
    "static_site_requires_rebuild",
    "image_source_missing_digest",
]
AppServiceSpecProtocol = Literal["HTTP", "HTTP2"]
AppSpecRegion = Literal["atl", "nyc", "sfo", "tor", "ams", "fra", "lon", "blr", "sgp", "syd"]
AppVariableDefinitionScope = Literal["UNSET", "RUN_TIME", "BUILD_TIME", "RUN_AND_BUILD_TIME"]
AppVariableDefinitionType = Literal["GENERAL", "SECRET"]
AppsDedicatedEgressIpStatus = Literal["UNKNOWN", "ASSIGNING", "ASSIGNED", "REMOVED"]
AppsDeploymentPhase = Literal[
    "UNKNOWN",
    "PENDING_BUILD",
    "BUILDING",
    "PENDING_DEPLOY",
    "DEPLOYING",
    "ACTIVE",
    "SUPERSEDED",
    "ERROR",
    "CANCELED",
]
AppsDeploymentProgressStepStatus = Literal["UNKNOWN", "PENDING", "RUNNING", "ERROR", "SUCCESS"]
AppsDomainPhase = Literal["UNKNOWN", "PENDING", "CONFIGURING", "ACTIVE", "ERROR"]
AppsImageSourceSpecRegistryType = Literal["DOCKER_HUB", "DOCR", "GHCR"]
InstanceSizeCpuType = Literal["UNSPECIFIED", "SHARED", "DEDICATED"]
Schema = str


class Account(Model):
    """Schema `account`."""

    __slots__ = ()
    _schema: ClassVar[str] = "account"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("droplet_limit", "droplet_limit"),
        ("floating_ip_limit", "floating_ip_limit"),
        ("email", "email"),
        ("name", "name"),
        ("uuid", "uuid"),
        ("email_verified", "email_verified"),
        ("status", "status"),
        ("status_message", "status_message"),
        ("team", "team"),
    )

    @property
    def droplet_limit(self) -> int | None:
        """The total number of Droplets current user or team may have active at one time.
        <br><br>Requires `droplet:read` scope.
        """
        return _get_int(self._data, "droplet_limit")

    @droplet_limit.setter
    def droplet_limit(self, value: int | None) -> None:
        _set(self._data, "droplet_limit", value)

    @property
    def floating_ip_limit(self) -> int | None:
        """The total number of Floating IPs the current user or team may have. <br><br>Requires
        `reserved_ip:read` scope.
        """
        return _get_int(self._data, "floating_ip_limit")

    @floating_ip_limit.setter
    def floating_ip_limit(self, value: int | None) -> None:
        _set(self._data, "floating_ip_limit", value)

    @property
    def email(self) -> str | None:
        """The email address used by the current user to register for DigitalOcean."""
        return _get_str(self._data, "email")

    @email.setter
    def email(self, value: str | None) -> None:
        _set(self._data, "email", value)

    @property
    def name(self) -> str | None:
        """The display name for the current user."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def uuid(self) -> str | None:
        """The unique universal identifier for the current user."""
        return _get_str(self._data, "uuid")

    @uuid.setter
    def uuid(self, value: str | None) -> None:
        _set(self._data, "uuid", value)

    @property
    def email_verified(self) -> bool | None:
        """If true, the user has verified their account via email."""
        return _get_bool(self._data, "email_verified")

    @email_verified.setter
    def email_verified(self, value: bool | None) -> None:
        _set(self._data, "email_verified", value)

    @property
    def status(self) -> str | None:
        """This value is one of "active", "warning" or "locked"."""
        return _get_str(self._data, "status")

    @status.setter
    def status(self, value: str | None) -> None:
        _set(self._data, "status", value)

    @property
    def status_message(self) -> str | None:
        """A human-readable message giving more details about the status of the account."""
        return _get_str(self._data, "status_message")

    @status_message.setter
    def status_message(self, value: str | None) -> None:
        _set(self._data, "status_message", value)

    @property
    def team(self) -> AccountTeam | None:
        """When authorized in a team context, includes information about the current team."""
        return _get_model(self._data, "team", AccountTeam)

    @team.setter
    def team(self, value: AccountTeam | None) -> None:
        _set(self._data, "team", value)


class AccountTeam(Model):
    """When authorized in a team context, includes information about the current team. Inline schema
    `account.team`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "account.team"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("uuid", "uuid"), ("name", "name"))

    @property
    def uuid(self) -> str | None:
        """The unique universal identifier for the current team."""
        return _get_str(self._data, "uuid")

    @uuid.setter
    def uuid(self, value: str | None) -> None:
        _set(self._data, "uuid", value)

    @property
    def name(self) -> str | None:
        """The name for the current team."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)


class App(Model):
    """An application's configuration and status. Schema `app`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("active_deployment", "active_deployment"),
        ("created_at", "created_at"),
        ("default_ingress", "default_ingress"),
        ("domains", "domains"),
        ("id", "id"),
        ("in_progress_deployment", "in_progress_deployment"),
        ("last_deployment_created_at", "last_deployment_created_at"),
        ("live_domain", "live_domain"),
        ("live_url", "live_url"),
        ("live_url_base", "live_url_base"),
        ("owner_uuid", "owner_uuid"),
        ("pending_deployment", "pending_deployment"),
        ("project_id", "project_id"),
        ("region", "region"),
        ("spec", "spec"),
        ("tier_slug", "tier_slug"),
        ("updated_at", "updated_at"),
        ("pinned_deployment", "pinned_deployment"),
        ("dedicated_ips", "dedicated_ips"),
        ("vpc", "vpc"),
    )

    @property
    def active_deployment(self) -> AppsDeployment | None:
        """An app deployment"""
        return _get_model(self._data, "active_deployment", AppsDeployment)

    @active_deployment.setter
    def active_deployment(self, value: AppsDeployment | None) -> None:
        _set(self._data, "active_deployment", value)

    @property
    def created_at(self) -> str | None:
        """The creation time of the app"""
        return _get_str(self._data, "created_at")

    @created_at.setter
    def created_at(self, value: str | None) -> None:
        _set(self._data, "created_at", value)

    @property
    def default_ingress(self) -> str | None:
        """The default hostname on which the app is accessible"""
        return _get_str(self._data, "default_ingress")

    @default_ingress.setter
    def default_ingress(self, value: str | None) -> None:
        _set(self._data, "default_ingress", value)

    @property
    def domains(self) -> list[AppsDomain] | None:
        """Contains all domains for the app"""
        return _get_models(self._data, "domains", AppsDomain)

    @domains.setter
    def domains(self, value: list[AppsDomain] | None) -> None:
        _set(self._data, "domains", value)

    @property
    def id(self) -> str | None:
        """The ID of the application"""
        return _get_str(self._data, "id")

    @id.setter
    def id(self, value: str | None) -> None:
        _set(self._data, "id", value)

    @property
    def in_progress_deployment(self) -> AppsDeployment | None:
        """An app deployment"""
        return _get_model(self._data, "in_progress_deployment", AppsDeployment)

    @in_progress_deployment.setter
    def in_progress_deployment(self, value: AppsDeployment | None) -> None:
        _set(self._data, "in_progress_deployment", value)

    @property
    def last_deployment_created_at(self) -> str | None:
        """The creation time of the last deployment"""
        return _get_str(self._data, "last_deployment_created_at")

    @last_deployment_created_at.setter
    def last_deployment_created_at(self, value: str | None) -> None:
        _set(self._data, "last_deployment_created_at", value)

    @property
    def live_domain(self) -> str | None:
        """The live domain of the app"""
        return _get_str(self._data, "live_domain")

    @live_domain.setter
    def live_domain(self, value: str | None) -> None:
        _set(self._data, "live_domain", value)

    @property
    def live_url(self) -> str | None:
        """The live URL of the app"""
        return _get_str(self._data, "live_url")

    @live_url.setter
    def live_url(self, value: str | None) -> None:
        _set(self._data, "live_url", value)

    @property
    def live_url_base(self) -> str | None:
        """The live URL base of the app, the URL excluding the path"""
        return _get_str(self._data, "live_url_base")

    @live_url_base.setter
    def live_url_base(self, value: str | None) -> None:
        _set(self._data, "live_url_base", value)

    @property
    def owner_uuid(self) -> str | None:
        """The ID of the account to which the application belongs"""
        return _get_str(self._data, "owner_uuid")

    @owner_uuid.setter
    def owner_uuid(self, value: str | None) -> None:
        _set(self._data, "owner_uuid", value)

    @property
    def pending_deployment(self) -> AppsDeployment | None:
        """The most recent pending deployment."""
        return _get_model(self._data, "pending_deployment", AppsDeployment)

    @pending_deployment.setter
    def pending_deployment(self, value: AppsDeployment | None) -> None:
        _set(self._data, "pending_deployment", value)

    @property
    def project_id(self) -> str | None:
        """Requires `project:read` scope."""
        return _get_str(self._data, "project_id")

    @project_id.setter
    def project_id(self, value: str | None) -> None:
        _set(self._data, "project_id", value)

    @property
    def region(self) -> AppsRegion | None:
        """Geographical information about an app origin"""
        return _get_model(self._data, "region", AppsRegion)

    @region.setter
    def region(self, value: AppsRegion | None) -> None:
        _set(self._data, "region", value)

    @property
    def spec(self) -> AppSpec | None:
        """The desired configuration of an application."""
        return _get_model(self._data, "spec", AppSpec)

    @spec.setter
    def spec(self, value: AppSpec | None) -> None:
        _set(self._data, "spec", value)

    @property
    def tier_slug(self) -> str | None:
        """The current pricing tier slug of the app"""
        return _get_str(self._data, "tier_slug")

    @tier_slug.setter
    def tier_slug(self, value: str | None) -> None:
        _set(self._data, "tier_slug", value)

    @property
    def updated_at(self) -> str | None:
        """Time of the app's last configuration update"""
        return _get_str(self._data, "updated_at")

    @updated_at.setter
    def updated_at(self, value: str | None) -> None:
        _set(self._data, "updated_at", value)

    @property
    def pinned_deployment(self) -> AppsDeployment | None:
        """The deployment that the app is pinned to."""
        return _get_model(self._data, "pinned_deployment", AppsDeployment)

    @pinned_deployment.setter
    def pinned_deployment(self, value: AppsDeployment | None) -> None:
        _set(self._data, "pinned_deployment", value)

    @property
    def dedicated_ips(self) -> list[AppsDedicatedEgressIp] | None:
        """The dedicated egress IP addresses associated with the app."""
        return _get_models(self._data, "dedicated_ips", AppsDedicatedEgressIp)

    @dedicated_ips.setter
    def dedicated_ips(self, value: list[AppsDedicatedEgressIp] | None) -> None:
        _set(self._data, "dedicated_ips", value)

    @property
    def vpc(self) -> AppsVpc | None:
        """``vpc``."""
        return _get_model(self._data, "vpc", AppsVpc)

    @vpc.setter
    def vpc(self, value: AppsVpc | None) -> None:
        _set(self._data, "vpc", value)


class AppAlert(Model):
    """Schema `app_alert`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_alert"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("id", "id"),
        ("component_name", "component_name"),
        ("spec", "spec"),
        ("emails", "emails"),
        ("slack_webhooks", "slack_webhooks"),
        ("phase", "phase"),
        ("progress", "progress"),
    )

    @property
    def id(self) -> str | None:
        """The ID of the alert"""
        return _get_str(self._data, "id")

    @id.setter
    def id(self, value: str | None) -> None:
        _set(self._data, "id", value)

    @property
    def component_name(self) -> str | None:
        """Name of component the alert belongs to"""
        return _get_str(self._data, "component_name")

    @component_name.setter
    def component_name(self, value: str | None) -> None:
        _set(self._data, "component_name", value)

    @property
    def spec(self) -> AppAlertSpec | None:
        """``spec``."""
        return _get_model(self._data, "spec", AppAlertSpec)

    @spec.setter
    def spec(self, value: AppAlertSpec | None) -> None:
        _set(self._data, "spec", value)

    @property
    def emails(self) -> list[str] | None:
        """Emails for alerts to go to"""
        return _get_strs(self._data, "emails")

    @emails.setter
    def emails(self, value: list[str] | None) -> None:
        _set(self._data, "emails", value)

    @property
    def slack_webhooks(self) -> list[AppAlertSlackWebhook] | None:
        """Slack Webhooks to send alerts to"""
        return _get_models(self._data, "slack_webhooks", AppAlertSlackWebhook)

    @slack_webhooks.setter
    def slack_webhooks(self, value: list[AppAlertSlackWebhook] | None) -> None:
        _set(self._data, "slack_webhooks", value)

    @property
    def phase(self) -> str | None:
        """``phase``."""
        return _get_str(self._data, "phase")

    @phase.setter
    def phase(self, value: str | None) -> None:
        _set(self._data, "phase", value)

    @property
    def progress(self) -> AppAlertProgress | None:
        """``progress``."""
        return _get_model(self._data, "progress", AppAlertProgress)

    @progress.setter
    def progress(self, value: AppAlertProgress | None) -> None:
        _set(self._data, "progress", value)


class AppAlertProgress(Model):
    """Schema `app_alert_progress`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_alert_progress"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("steps", "steps"),)

    @property
    def steps(self) -> list[AppAlertProgressStep] | None:
        """Steps of an alert's progress."""
        return _get_models(self._data, "steps", AppAlertProgressStep)

    @steps.setter
    def steps(self, value: list[AppAlertProgressStep] | None) -> None:
        _set(self._data, "steps", value)


class AppAlertProgressStep(Model):
    """Schema `app_alert_progress_step`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_alert_progress_step"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("status", "status"),
        ("started_at", "started_at"),
        ("ended_at", "ended_at"),
        ("reason", "reason"),
    )

    @property
    def name(self) -> str | None:
        """The name of this step"""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def status(self) -> str | None:
        """``status``."""
        return _get_str(self._data, "status")

    @status.setter
    def status(self, value: str | None) -> None:
        _set(self._data, "status", value)

    @property
    def started_at(self) -> str | None:
        """The start time of this step"""
        return _get_str(self._data, "started_at")

    @started_at.setter
    def started_at(self, value: str | None) -> None:
        _set(self._data, "started_at", value)

    @property
    def ended_at(self) -> str | None:
        """The start time of this step"""
        return _get_str(self._data, "ended_at")

    @ended_at.setter
    def ended_at(self, value: str | None) -> None:
        _set(self._data, "ended_at", value)

    @property
    def reason(self) -> AppAlertProgressStepReason | None:
        """``reason``."""
        return _get_model(self._data, "reason", AppAlertProgressStepReason)

    @reason.setter
    def reason(self, value: AppAlertProgressStepReason | None) -> None:
        _set(self._data, "reason", value)


class AppAlertProgressStepReason(Model):
    """Schema `app_alert_progress_step_reason`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_alert_progress_step_reason"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("code", "code"), ("message", "message"))

    @property
    def code(self) -> str | None:
        """The error code"""
        return _get_str(self._data, "code")

    @code.setter
    def code(self, value: str | None) -> None:
        _set(self._data, "code", value)

    @property
    def message(self) -> str | None:
        """The error message"""
        return _get_str(self._data, "message")

    @message.setter
    def message(self, value: str | None) -> None:
        _set(self._data, "message", value)


class AppAlertSlackWebhook(Model):
    """Schema `app_alert_slack_webhook`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_alert_slack_webhook"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("url", "url"), ("channel", "channel"))
    _secrets: ClassVar[frozenset[str]] = frozenset({"url"})

    @property
    def url(self) -> str | None:
        """URL of the Slack webhook"""
        return _get_str(self._data, "url")

    @url.setter
    def url(self, value: str | None) -> None:
        _set(self._data, "url", value)

    @property
    def channel(self) -> str | None:
        """Name of the Slack Webhook Channel"""
        return _get_str(self._data, "channel")

    @channel.setter
    def channel(self, value: str | None) -> None:
        _set(self._data, "channel", value)


class AppAlertSpec(Model):
    """Schema `app_alert_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_alert_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("rule", "rule"),
        ("disabled", "disabled"),
        ("operator", "operator"),
        ("value", "value"),
        ("window", "window"),
    )

    @property
    def rule(self) -> str | None:
        """``rule``."""
        return _get_str(self._data, "rule")

    @rule.setter
    def rule(self, value: str | None) -> None:
        _set(self._data, "rule", value)

    @property
    def disabled(self) -> bool | None:
        """Is the alert disabled?"""
        return _get_bool(self._data, "disabled")

    @disabled.setter
    def disabled(self, value: bool | None) -> None:
        _set(self._data, "disabled", value)

    @property
    def operator(self) -> str | None:
        """``operator``."""
        return _get_str(self._data, "operator")

    @operator.setter
    def operator(self, value: str | None) -> None:
        _set(self._data, "operator", value)

    @property
    def value(self) -> float | None:
        """Threshold value for alert"""
        return _get_float(self._data, "value")

    @value.setter
    def value(self, value: float | None) -> None:
        _set(self._data, "value", value)

    @property
    def window(self) -> str | None:
        """``window``."""
        return _get_str(self._data, "window")

    @window.setter
    def window(self, value: str | None) -> None:
        _set(self._data, "window", value)


class AppAutoscalingSpec(Model):
    """Configuration for automatically scaling this component based on metrics. Schema
    `app_autoscaling_spec`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "app_autoscaling_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("min_instance_count", "min_instance_count"),
        ("max_instance_count", "max_instance_count"),
        ("metrics", "metrics"),
    )

    @property
    def min_instance_count(self) -> int | None:
        """The minimum amount of instances for this component."""
        return _get_int(self._data, "min_instance_count")

    @min_instance_count.setter
    def min_instance_count(self, value: int | None) -> None:
        _set(self._data, "min_instance_count", value)

    @property
    def max_instance_count(self) -> int | None:
        """The maximum amount of instances for this component."""
        return _get_int(self._data, "max_instance_count")

    @max_instance_count.setter
    def max_instance_count(self, value: int | None) -> None:
        _set(self._data, "max_instance_count", value)

    @property
    def metrics(self) -> AppAutoscalingSpecMetrics | None:
        """The metrics that the component is scaled on."""
        return _get_model(self._data, "metrics", AppAutoscalingSpecMetrics)

    @metrics.setter
    def metrics(self, value: AppAutoscalingSpecMetrics | None) -> None:
        _set(self._data, "metrics", value)


class AppAutoscalingSpecMetrics(Model):
    """The metrics that the component is scaled on. Inline schema `app_autoscaling_spec.metrics`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_autoscaling_spec.metrics"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("cpu", "cpu"),)

    @property
    def cpu(self) -> AppAutoscalingSpecMetricsCpu | None:
        """Settings for scaling the component based on CPU utilization."""
        return _get_model(self._data, "cpu", AppAutoscalingSpecMetricsCpu)

    @cpu.setter
    def cpu(self, value: AppAutoscalingSpecMetricsCpu | None) -> None:
        _set(self._data, "cpu", value)


class AppAutoscalingSpecMetricsCpu(Model):
    """Settings for scaling the component based on CPU utilization. Inline schema
    `app_autoscaling_spec.metrics.cpu`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "app_autoscaling_spec.metrics.cpu"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("percent", "percent"),)

    @property
    def percent(self) -> int | None:
        """The average target CPU utilization for the component."""
        return _get_int(self._data, "percent")

    @percent.setter
    def percent(self, value: int | None) -> None:
        _set(self._data, "percent", value)


class AppAutoscalingSpecService(Model):
    """Configuration for automatically scaling this component based on metrics. Schema
    `app_autoscaling_spec_service`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "app_autoscaling_spec_service"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("min_instance_count", "min_instance_count"),
        ("max_instance_count", "max_instance_count"),
        ("metrics", "metrics"),
    )

    @property
    def min_instance_count(self) -> int | None:
        """The minimum amount of instances for this component."""
        return _get_int(self._data, "min_instance_count")

    @min_instance_count.setter
    def min_instance_count(self, value: int | None) -> None:
        _set(self._data, "min_instance_count", value)

    @property
    def max_instance_count(self) -> int | None:
        """The maximum amount of instances for this component."""
        return _get_int(self._data, "max_instance_count")

    @max_instance_count.setter
    def max_instance_count(self, value: int | None) -> None:
        _set(self._data, "max_instance_count", value)

    @property
    def metrics(self) -> AppAutoscalingSpecServiceMetrics | None:
        """The metrics that the component is scaled on."""
        return _get_model(self._data, "metrics", AppAutoscalingSpecServiceMetrics)

    @metrics.setter
    def metrics(self, value: AppAutoscalingSpecServiceMetrics | None) -> None:
        _set(self._data, "metrics", value)


class AppAutoscalingSpecServiceMetrics(Model):
    """The metrics that the component is scaled on. Inline schema
    `app_autoscaling_spec_service.metrics`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "app_autoscaling_spec_service.metrics"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("cpu", "cpu"),
        ("requests_per_second", "requests_per_second"),
        ("request_duration", "request_duration"),
    )

    @property
    def cpu(self) -> AppAutoscalingSpecMetricsCpu | None:
        """Settings for scaling the component based on CPU utilization."""
        return _get_model(self._data, "cpu", AppAutoscalingSpecMetricsCpu)

    @cpu.setter
    def cpu(self, value: AppAutoscalingSpecMetricsCpu | None) -> None:
        _set(self._data, "cpu", value)

    @property
    def requests_per_second(self) -> AppAutoscalingSpecServiceMetricsRequestsPerSecond | None:
        """Settings for scaling the component based on requests per second."""
        return _get_model(
            self._data,
            "requests_per_second",
            AppAutoscalingSpecServiceMetricsRequestsPerSecond,
        )

    @requests_per_second.setter
    def requests_per_second(
        self,
        value: AppAutoscalingSpecServiceMetricsRequestsPerSecond | None,
    ) -> None:
        _set(self._data, "requests_per_second", value)

    @property
    def request_duration(self) -> AppAutoscalingSpecServiceMetricsRequestDuration | None:
        """Settings for scaling the component based on request duration."""
        return _get_model(
            self._data,
            "request_duration",
            AppAutoscalingSpecServiceMetricsRequestDuration,
        )

    @request_duration.setter
    def request_duration(
        self,
        value: AppAutoscalingSpecServiceMetricsRequestDuration | None,
    ) -> None:
        _set(self._data, "request_duration", value)


class AppAutoscalingSpecServiceMetricsRequestsPerSecond(Model):
    """Settings for scaling the component based on requests per second. Inline schema
    `app_autoscaling_spec_service.metrics.requests_per_second`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "app_autoscaling_spec_service.metrics.requests_per_second"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("per_instance", "per_instance"),)

    @property
    def per_instance(self) -> int | None:
        """The target number of requests per second per instance for the component."""
        return _get_int(self._data, "per_instance")

    @per_instance.setter
    def per_instance(self, value: int | None) -> None:
        _set(self._data, "per_instance", value)


class AppAutoscalingSpecServiceMetricsRequestDuration(Model):
    """Settings for scaling the component based on request duration. Inline schema
    `app_autoscaling_spec_service.metrics.request_duration`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "app_autoscaling_spec_service.metrics.request_duration"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("p95_milliseconds", "p95_milliseconds"),)

    @property
    def p95_milliseconds(self) -> int | None:
        """The p95 target request duration in milliseconds for the component."""
        return _get_int(self._data, "p95_milliseconds")

    @p95_milliseconds.setter
    def p95_milliseconds(self, value: int | None) -> None:
        _set(self._data, "p95_milliseconds", value)


class AppComponentBase(Model):
    """Schema `app_component_base`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_component_base"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("git", "git"),
        ("github", "github"),
        ("gitlab", "gitlab"),
        ("bitbucket", "bitbucket"),
        ("image", "image"),
        ("dockerfile_path", "dockerfile_path"),
        ("build_command", "build_command"),
        ("run_command", "run_command"),
        ("source_dir", "source_dir"),
        ("envs", "envs"),
        ("environment_slug", "environment_slug"),
        ("log_destinations", "log_destinations"),
    )

    @property
    def name(self) -> str | None:
        """The name."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def git(self) -> AppsGitSourceSpec | None:
        """``git``."""
        return _get_model(self._data, "git", AppsGitSourceSpec)

    @git.setter
    def git(self, value: AppsGitSourceSpec | None) -> None:
        _set(self._data, "git", value)

    @property
    def github(self) -> AppsGithubSourceSpec | None:
        """``github``."""
        return _get_model(self._data, "github", AppsGithubSourceSpec)

    @github.setter
    def github(self, value: AppsGithubSourceSpec | None) -> None:
        _set(self._data, "github", value)

    @property
    def gitlab(self) -> AppsGitlabSourceSpec | None:
        """``gitlab``."""
        return _get_model(self._data, "gitlab", AppsGitlabSourceSpec)

    @gitlab.setter
    def gitlab(self, value: AppsGitlabSourceSpec | None) -> None:
        _set(self._data, "gitlab", value)

    @property
    def bitbucket(self) -> AppsBitbucketSourceSpec | None:
        """``bitbucket``."""
        return _get_model(self._data, "bitbucket", AppsBitbucketSourceSpec)

    @bitbucket.setter
    def bitbucket(self, value: AppsBitbucketSourceSpec | None) -> None:
        _set(self._data, "bitbucket", value)

    @property
    def image(self) -> AppsImageSourceSpec | None:
        """``image``."""
        return _get_model(self._data, "image", AppsImageSourceSpec)

    @image.setter
    def image(self, value: AppsImageSourceSpec | None) -> None:
        _set(self._data, "image", value)

    @property
    def dockerfile_path(self) -> str | None:
        """The path to the Dockerfile relative to the root of the repo."""
        return _get_str(self._data, "dockerfile_path")

    @dockerfile_path.setter
    def dockerfile_path(self, value: str | None) -> None:
        _set(self._data, "dockerfile_path", value)

    @property
    def build_command(self) -> str | None:
        """An optional build command to run while building this component from source."""
        return _get_str(self._data, "build_command")

    @build_command.setter
    def build_command(self, value: str | None) -> None:
        _set(self._data, "build_command", value)

    @property
    def run_command(self) -> str | None:
        """An optional run command to override the component's default."""
        return _get_str(self._data, "run_command")

    @run_command.setter
    def run_command(self, value: str | None) -> None:
        _set(self._data, "run_command", value)

    @property
    def source_dir(self) -> str | None:
        """An optional path to the working directory to use for the build."""
        return _get_str(self._data, "source_dir")

    @source_dir.setter
    def source_dir(self, value: str | None) -> None:
        _set(self._data, "source_dir", value)

    @property
    def envs(self) -> list[AppVariableDefinition] | None:
        """A list of environment variables made available to the component."""
        return _get_models(self._data, "envs", AppVariableDefinition)

    @envs.setter
    def envs(self, value: list[AppVariableDefinition] | None) -> None:
        _set(self._data, "envs", value)

    @property
    def environment_slug(self) -> str | None:
        """An environment slug describing the type of this app."""
        return _get_str(self._data, "environment_slug")

    @environment_slug.setter
    def environment_slug(self, value: str | None) -> None:
        _set(self._data, "environment_slug", value)

    @property
    def log_destinations(self) -> list[AppLogDestinationDefinition] | None:
        """A list of configured log forwarding destinations."""
        return _get_models(self._data, "log_destinations", AppLogDestinationDefinition)

    @log_destinations.setter
    def log_destinations(self, value: list[AppLogDestinationDefinition] | None) -> None:
        _set(self._data, "log_destinations", value)


class AppComponentHealth(Model):
    """Schema `app_component_health`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_component_health"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("cpu_usage_percent", "cpu_usage_percent"),
        ("memory_usage_percent", "memory_usage_percent"),
        ("replicas_desired", "replicas_desired"),
        ("replicas_ready", "replicas_ready"),
        ("state", "state"),
    )

    @property
    def name(self) -> str | None:
        """``name``."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def cpu_usage_percent(self) -> float | None:
        """``cpu_usage_percent``."""
        return _get_float(self._data, "cpu_usage_percent")

    @cpu_usage_percent.setter
    def cpu_usage_percent(self, value: float | None) -> None:
        _set(self._data, "cpu_usage_percent", value)

    @property
    def memory_usage_percent(self) -> float | None:
        """``memory_usage_percent``."""
        return _get_float(self._data, "memory_usage_percent")

    @memory_usage_percent.setter
    def memory_usage_percent(self, value: float | None) -> None:
        _set(self._data, "memory_usage_percent", value)

    @property
    def replicas_desired(self) -> int | None:
        """``replicas_desired``."""
        return _get_int(self._data, "replicas_desired")

    @replicas_desired.setter
    def replicas_desired(self, value: int | None) -> None:
        _set(self._data, "replicas_desired", value)

    @property
    def replicas_ready(self) -> int | None:
        """``replicas_ready``."""
        return _get_int(self._data, "replicas_ready")

    @replicas_ready.setter
    def replicas_ready(self, value: int | None) -> None:
        _set(self._data, "replicas_ready", value)

    @property
    def state(self) -> str | None:
        """``state``."""
        return _get_str(self._data, "state")

    @state.setter
    def state(self, value: str | None) -> None:
        _set(self._data, "state", value)


class AppComponentInstanceBase(Model):
    """Schema `app_component_instance_base`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_component_instance_base"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("instance_count", "instance_count"),
        ("instance_size_slug", "instance_size_slug"),
    )

    @property
    def instance_count(self) -> int | None:
        """The amount of instances that this component should be scaled to."""
        return _get_int(self._data, "instance_count")

    @instance_count.setter
    def instance_count(self, value: int | None) -> None:
        _set(self._data, "instance_count", value)

    @property
    def instance_size_slug(self) -> str | None:
        """The instance size to use for this component."""
        return _get_str(self._data, "instance_size_slug")

    @instance_size_slug.setter
    def instance_size_slug(self, value: str | None) -> None:
        _set(self._data, "instance_size_slug", value)


class AppDatabaseSpec(Model):
    """Schema `app_database_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_database_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("cluster_name", "cluster_name"),
        ("db_name", "db_name"),
        ("db_user", "db_user"),
        ("engine", "engine"),
        ("name", "name"),
        ("production", "production"),
        ("version", "version"),
    )

    @property
    def cluster_name(self) -> str | None:
        """The name of the underlying DigitalOcean DBaaS cluster."""
        return _get_str(self._data, "cluster_name")

    @cluster_name.setter
    def cluster_name(self, value: str | None) -> None:
        _set(self._data, "cluster_name", value)

    @property
    def db_name(self) -> str | None:
        """The name of the MySQL or PostgreSQL database to configure."""
        return _get_str(self._data, "db_name")

    @db_name.setter
    def db_name(self, value: str | None) -> None:
        _set(self._data, "db_name", value)

    @property
    def db_user(self) -> str | None:
        """The name of the MySQL or PostgreSQL user to configure."""
        return _get_str(self._data, "db_user")

    @db_user.setter
    def db_user(self, value: str | None) -> None:
        _set(self._data, "db_user", value)

    @property
    def engine(self) -> str | None:
        """- MYSQL: MySQL - PG: PostgreSQL - REDIS: Caching - MONGODB: MongoDB - KAFKA: Kafka -
        OPENSEARCH: OpenSearch - VALKEY: ValKey
        """
        return _get_str(self._data, "engine")

    @engine.setter
    def engine(self, value: str | None) -> None:
        _set(self._data, "engine", value)

    @property
    def name(self) -> str | None:
        """The database's name."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def production(self) -> bool | None:
        """Whether this is a production or dev database."""
        return _get_bool(self._data, "production")

    @production.setter
    def production(self, value: bool | None) -> None:
        _set(self._data, "production", value)

    @property
    def version(self) -> str | None:
        """The version of the database engine"""
        return _get_str(self._data, "version")

    @version.setter
    def version(self, value: str | None) -> None:
        _set(self._data, "version", value)


class AppDomainSpec(Model):
    """Schema `app_domain_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_domain_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("domain", "domain"),
        ("type", "type"),
        ("wildcard", "wildcard"),
        ("zone", "zone"),
        ("minimum_tls_version", "minimum_tls_version"),
    )

    @property
    def domain(self) -> str | None:
        """The hostname for the domain"""
        return _get_str(self._data, "domain")

    @domain.setter
    def domain(self, value: str | None) -> None:
        _set(self._data, "domain", value)

    @property
    def type(self) -> str | None:
        """- DEFAULT: The default `.ondigitalocean.app` domain assigned to this app - PRIMARY: The
        primary domain for this app that is displayed as the default in the control panel, used
        in bindable environment variables, and any other places that reference an app's live URL.
        """
        return _get_str(self._data, "type")

    @type.setter
    def type(self, value: str | None) -> None:
        _set(self._data, "type", value)

    @property
    def wildcard(self) -> bool | None:
        """Indicates whether the domain includes all sub-domains, in addition to the given domain"""
        return _get_bool(self._data, "wildcard")

    @wildcard.setter
    def wildcard(self, value: bool | None) -> None:
        _set(self._data, "wildcard", value)

    @property
    def zone(self) -> str | None:
        """Optional."""
        return _get_str(self._data, "zone")

    @zone.setter
    def zone(self, value: str | None) -> None:
        _set(self._data, "zone", value)

    @property
    def minimum_tls_version(self) -> str | None:
        """The minimum version of TLS a client application can use to access resources for the
        domain.
        """
        return _get_str(self._data, "minimum_tls_version")

    @minimum_tls_version.setter
    def minimum_tls_version(self, value: str | None) -> None:
        _set(self._data, "minimum_tls_version", value)


class AppDomainValidation(Model):
    """Schema `app_domain_validation`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_domain_validation"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("txt_name", "txt_name"),
        ("txt_value", "txt_value"),
    )

    @property
    def txt_name(self) -> str | None:
        """TXT record name"""
        return _get_str(self._data, "txt_name")

    @txt_name.setter
    def txt_name(self, value: str | None) -> None:
        _set(self._data, "txt_name", value)

    @property
    def txt_value(self) -> str | None:
        """TXT record value"""
        return _get_str(self._data, "txt_value")

    @txt_value.setter
    def txt_value(self, value: str | None) -> None:
        _set(self._data, "txt_value", value)


class AppEgressSpec(Model):
    """Specification for app egress configurations. Schema `app_egress_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_egress_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("type", "type"),)

    @property
    def type(self) -> str | None:
        """The app egress type."""
        return _get_str(self._data, "type")

    @type.setter
    def type(self, value: str | None) -> None:
        _set(self._data, "type", value)


class AppEvent(Model):
    """Schema `app_event`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_event"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("id", "id"),
        ("type", "type"),
        ("created_at", "created_at"),
        ("deployment_id", "deployment_id"),
        ("deployment", "deployment"),
        ("autoscaling", "autoscaling"),
    )

    @property
    def id(self) -> str | None:
        """The ID of the event (UUID)"""
        return _get_str(self._data, "id")

    @id.setter
    def id(self, value: str | None) -> None:
        _set(self._data, "id", value)

    @property
    def type(self) -> str | None:
        """The type of event"""
        return _get_str(self._data, "type")

    @type.setter
    def type(self, value: str | None) -> None:
        _set(self._data, "type", value)

    @property
    def created_at(self) -> str | None:
        """When the event was created"""
        return _get_str(self._data, "created_at")

    @created_at.setter
    def created_at(self, value: str | None) -> None:
        _set(self._data, "created_at", value)

    @property
    def deployment_id(self) -> str | None:
        """For deployment events, this is the same as the deployment's ID."""
        return _get_str(self._data, "deployment_id")

    @deployment_id.setter
    def deployment_id(self, value: str | None) -> None:
        _set(self._data, "deployment_id", value)

    @property
    def deployment(self) -> AppsDeployment | None:
        """An app deployment"""
        return _get_model(self._data, "deployment", AppsDeployment)

    @deployment.setter
    def deployment(self, value: AppsDeployment | None) -> None:
        _set(self._data, "deployment", value)

    @property
    def autoscaling(self) -> AppEventAutoscaling | None:
        """Autoscaling event details."""
        return _get_model(self._data, "autoscaling", AppEventAutoscaling)

    @autoscaling.setter
    def autoscaling(self, value: AppEventAutoscaling | None) -> None:
        _set(self._data, "autoscaling", value)


class AppEventAutoscaling(Model):
    """Autoscaling event details. Inline schema `app_event.autoscaling`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_event.autoscaling"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("phase", "phase"),
        ("components", "components"),
    )

    @property
    def phase(self) -> str | None:
        """The current phase of the autoscaling event"""
        return _get_str(self._data, "phase")

    @phase.setter
    def phase(self, value: str | None) -> None:
        _set(self._data, "phase", value)

    @property
    def components(self) -> Any:
        """Map of component names to their scale changes"""
        return self._data.get("components")

    @components.setter
    def components(self, value: Any) -> None:
        _set(self._data, "components", value)


class AppEvents(Model):
    """Schema `app_events`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_events"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("events", "events"), ("links", "links"))

    @property
    def events(self) -> list[AppEvent] | None:
        """A list of events"""
        return _get_models(self._data, "events", AppEvent)

    @events.setter
    def events(self, value: list[AppEvent] | None) -> None:
        _set(self._data, "events", value)

    @property
    def links(self) -> PageLinks | None:
        """``links``."""
        return _get_model(self._data, "links", PageLinks)

    @links.setter
    def links(self, value: PageLinks | None) -> None:
        _set(self._data, "links", value)


class AppFunctionsComponentHealth(Model):
    """Schema `app_functions_component_health`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_functions_component_health"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("functions_component_health_metrics", "functions_component_health_metrics"),
    )

    @property
    def name(self) -> str | None:
        """``name``."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def functions_component_health_metrics(
        self,
    ) -> list[AppFunctionsComponentHealthFunctionsComponentHealthMetrics] | None:
        """``functions_component_health_metrics``."""
        return _get_models(
            self._data,
            "functions_component_health_metrics",
            AppFunctionsComponentHealthFunctionsComponentHealthMetrics,
        )

    @functions_component_health_metrics.setter
    def functions_component_health_metrics(
        self,
        value: list[AppFunctionsComponentHealthFunctionsComponentHealthMetrics] | None,
    ) -> None:
        _set(self._data, "functions_component_health_metrics", value)


class AppFunctionsComponentHealthFunctionsComponentHealthMetrics(Model):
    """Inline schema `app_functions_component_health.functions_component_health_metrics[]`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_functions_component_health.functions_component_health_metrics[]"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("metric_label", "metric_label"),
        ("metric_value", "metric_value"),
        ("time_window", "time_window"),
    )

    @property
    def metric_label(self) -> str | None:
        """``metric_label``."""
        return _get_str(self._data, "metric_label")

    @metric_label.setter
    def metric_label(self, value: str | None) -> None:
        _set(self._data, "metric_label", value)

    @property
    def metric_value(self) -> float | None:
        """``metric_value``."""
        return _get_float(self._data, "metric_value")

    @metric_value.setter
    def metric_value(self, value: float | None) -> None:
        _set(self._data, "metric_value", value)

    @property
    def time_window(self) -> str | None:
        """``time_window``."""
        return _get_str(self._data, "time_window")

    @time_window.setter
    def time_window(self, value: str | None) -> None:
        _set(self._data, "time_window", value)


class AppFunctionsSpec(Model):
    """Schema `app_functions_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_functions_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("cors", "cors"),
        ("routes", "routes"),
        ("name", "name"),
        ("source_dir", "source_dir"),
        ("alerts", "alerts"),
        ("envs", "envs"),
        ("git", "git"),
        ("github", "github"),
        ("gitlab", "gitlab"),
        ("bitbucket", "bitbucket"),
        ("log_destinations", "log_destinations"),
    )

    @property
    def cors(self) -> AppsCorsPolicy | None:
        """(Deprecated - Use Ingress Rules instead)."""
        return _get_model(self._data, "cors", AppsCorsPolicy)

    @cors.setter
    def cors(self, value: AppsCorsPolicy | None) -> None:
        _set(self._data, "cors", value)

    @property
    def routes(self) -> list[AppRouteSpec] | None:
        """(Deprecated - Use Ingress Rules instead)."""
        return _get_models(self._data, "routes", AppRouteSpec)

    @routes.setter
    def routes(self, value: list[AppRouteSpec] | None) -> None:
        _set(self._data, "routes", value)

    @property
    def name(self) -> str | None:
        """The name."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def source_dir(self) -> str | None:
        """An optional path to the working directory to use for the build."""
        return _get_str(self._data, "source_dir")

    @source_dir.setter
    def source_dir(self, value: str | None) -> None:
        _set(self._data, "source_dir", value)

    @property
    def alerts(self) -> list[AppAlertSpec] | None:
        """``alerts``."""
        return _get_models(self._data, "alerts", AppAlertSpec)

    @alerts.setter
    def alerts(self, value: list[AppAlertSpec] | None) -> None:
        _set(self._data, "alerts", value)

    @property
    def envs(self) -> list[AppVariableDefinition] | None:
        """A list of environment variables made available to the component."""
        return _get_models(self._data, "envs", AppVariableDefinition)

    @envs.setter
    def envs(self, value: list[AppVariableDefinition] | None) -> None:
        _set(self._data, "envs", value)

    @property
    def git(self) -> AppsGitSourceSpec | None:
        """``git``."""
        return _get_model(self._data, "git", AppsGitSourceSpec)

    @git.setter
    def git(self, value: AppsGitSourceSpec | None) -> None:
        _set(self._data, "git", value)

    @property
    def github(self) -> AppsGithubSourceSpec | None:
        """``github``."""
        return _get_model(self._data, "github", AppsGithubSourceSpec)

    @github.setter
    def github(self, value: AppsGithubSourceSpec | None) -> None:
        _set(self._data, "github", value)

    @property
    def gitlab(self) -> AppsGitlabSourceSpec | None:
        """``gitlab``."""
        return _get_model(self._data, "gitlab", AppsGitlabSourceSpec)

    @gitlab.setter
    def gitlab(self, value: AppsGitlabSourceSpec | None) -> None:
        _set(self._data, "gitlab", value)

    @property
    def bitbucket(self) -> AppsBitbucketSourceSpec | None:
        """``bitbucket``."""
        return _get_model(self._data, "bitbucket", AppsBitbucketSourceSpec)

    @bitbucket.setter
    def bitbucket(self, value: AppsBitbucketSourceSpec | None) -> None:
        _set(self._data, "bitbucket", value)

    @property
    def log_destinations(self) -> list[AppLogDestinationDefinition] | None:
        """A list of configured log forwarding destinations."""
        return _get_models(self._data, "log_destinations", AppLogDestinationDefinition)

    @log_destinations.setter
    def log_destinations(self, value: list[AppLogDestinationDefinition] | None) -> None:
        _set(self._data, "log_destinations", value)


class AppHealth(Model):
    """Schema `app_health`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_health"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("components", "components"),
        ("functions_components", "functions_components"),
    )

    @property
    def components(self) -> list[AppComponentHealth] | None:
        """``components``."""
        return _get_models(self._data, "components", AppComponentHealth)

    @components.setter
    def components(self, value: list[AppComponentHealth] | None) -> None:
        _set(self._data, "components", value)

    @property
    def functions_components(self) -> list[AppFunctionsComponentHealth] | None:
        """``functions_components``."""
        return _get_models(self._data, "functions_components", AppFunctionsComponentHealth)

    @functions_components.setter
    def functions_components(self, value: list[AppFunctionsComponentHealth] | None) -> None:
        _set(self._data, "functions_components", value)


class AppHealthCheckSpec(Model):
    """Schema `app_health_check_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_health_check_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("failure_threshold", "failure_threshold"),
        ("port", "port"),
        ("http_path", "http_path"),
        ("initial_delay_seconds", "initial_delay_seconds"),
        ("period_seconds", "period_seconds"),
        ("success_threshold", "success_threshold"),
        ("timeout_seconds", "timeout_seconds"),
    )

    @property
    def failure_threshold(self) -> int | None:
        """The number of failed health checks before considered unhealthy."""
        return _get_int(self._data, "failure_threshold")

    @failure_threshold.setter
    def failure_threshold(self, value: int | None) -> None:
        _set(self._data, "failure_threshold", value)

    @property
    def port(self) -> int | None:
        """The port on which the health check will be performed."""
        return _get_int(self._data, "port")

    @port.setter
    def port(self, value: int | None) -> None:
        _set(self._data, "port", value)

    @property
    def http_path(self) -> str | None:
        """The route path used for the HTTP health check ping."""
        return _get_str(self._data, "http_path")

    @http_path.setter
    def http_path(self, value: str | None) -> None:
        _set(self._data, "http_path", value)

    @property
    def initial_delay_seconds(self) -> int | None:
        """The number of seconds to wait before beginning health checks."""
        return _get_int(self._data, "initial_delay_seconds")

    @initial_delay_seconds.setter
    def initial_delay_seconds(self, value: int | None) -> None:
        _set(self._data, "initial_delay_seconds", value)

    @property
    def period_seconds(self) -> int | None:
        """The number of seconds to wait between health checks."""
        return _get_int(self._data, "period_seconds")

    @period_seconds.setter
    def period_seconds(self, value: int | None) -> None:
        _set(self._data, "period_seconds", value)

    @property
    def success_threshold(self) -> int | None:
        """The number of successful health checks before considered healthy."""
        return _get_int(self._data, "success_threshold")

    @success_threshold.setter
    def success_threshold(self, value: int | None) -> None:
        _set(self._data, "success_threshold", value)

    @property
    def timeout_seconds(self) -> int | None:
        """The number of seconds after which the check times out."""
        return _get_int(self._data, "timeout_seconds")

    @timeout_seconds.setter
    def timeout_seconds(self, value: int | None) -> None:
        _set(self._data, "timeout_seconds", value)


class AppHealthResponse(Model):
    """Schema `app_health_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_health_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("app_health", "app_health"),)

    @property
    def app_health(self) -> AppHealth | None:
        """``app_health``."""
        return _get_model(self._data, "app_health", AppHealth)

    @app_health.setter
    def app_health(self, value: AppHealth | None) -> None:
        _set(self._data, "app_health", value)


class AppIngressSpec(Model):
    """Specification for app ingress configurations. Schema `app_ingress_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_ingress_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("rules", "rules"),
        ("custom_error_page_url", "custom_error_page_url"),
    )

    @property
    def rules(self) -> list[AppIngressSpecRule] | None:
        """Rules for configuring HTTP ingress for component routes, CORS, rewrites, and redirects.
        """
        return _get_models(self._data, "rules", AppIngressSpecRule)

    @rules.setter
    def rules(self, value: list[AppIngressSpecRule] | None) -> None:
        _set(self._data, "rules", value)

    @property
    def custom_error_page_url(self) -> str | None:
        """Optional HTTPS URL of a custom error page to display when the app is unreachable."""
        return _get_str(self._data, "custom_error_page_url")

    @custom_error_page_url.setter
    def custom_error_page_url(self, value: str | None) -> None:
        _set(self._data, "custom_error_page_url", value)


class AppIngressSpecRule(Model):
    """Schema `app_ingress_spec_rule`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_ingress_spec_rule"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("match", "match"),
        ("cors", "cors"),
        ("component", "component"),
        ("redirect", "redirect"),
    )

    @property
    def match(self) -> AppIngressSpecRuleMatch | None:
        """The match configuration for the rule."""
        return _get_model(self._data, "match", AppIngressSpecRuleMatch)

    @match.setter
    def match(self, value: AppIngressSpecRuleMatch | None) -> None:
        _set(self._data, "match", value)

    @property
    def cors(self) -> AppsCorsPolicy | None:
        """``cors``."""
        return _get_model(self._data, "cors", AppsCorsPolicy)

    @cors.setter
    def cors(self, value: AppsCorsPolicy | None) -> None:
        _set(self._data, "cors", value)

    @property
    def component(self) -> AppIngressSpecRuleRoutingComponent | None:
        """The component to route to."""
        return _get_model(self._data, "component", AppIngressSpecRuleRoutingComponent)

    @component.setter
    def component(self, value: AppIngressSpecRuleRoutingComponent | None) -> None:
        _set(self._data, "component", value)

    @property
    def redirect(self) -> AppIngressSpecRuleRoutingRedirect | None:
        """The redirect configuration for the rule."""
        return _get_model(self._data, "redirect", AppIngressSpecRuleRoutingRedirect)

    @redirect.setter
    def redirect(self, value: AppIngressSpecRuleRoutingRedirect | None) -> None:
        _set(self._data, "redirect", value)


class AppIngressSpecRuleMatch(Model):
    """The match configuration for the rule. Schema `app_ingress_spec_rule_match`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_ingress_spec_rule_match"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("path", "path"), ("authority", "authority"))

    @property
    def path(self) -> AppIngressSpecRuleStringMatchPrefix | None:
        """The path to match on."""
        return _get_model(self._data, "path", AppIngressSpecRuleStringMatchPrefix)

    @path.setter
    def path(self, value: AppIngressSpecRuleStringMatchPrefix | None) -> None:
        _set(self._data, "path", value)

    @property
    def authority(self) -> AppIngressSpecRuleStringMatchExact | None:
        """The authority to match on."""
        return _get_model(self._data, "authority", AppIngressSpecRuleStringMatchExact)

    @authority.setter
    def authority(self, value: AppIngressSpecRuleStringMatchExact | None) -> None:
        _set(self._data, "authority", value)


class AppIngressSpecRuleRoutingComponent(Model):
    """The component to route to. Schema `app_ingress_spec_rule_routing_component`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_ingress_spec_rule_routing_component"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("preserve_path_prefix", "preserve_path_prefix"),
        ("rewrite", "rewrite"),
    )

    @property
    def name(self) -> str | None:
        """The name of the component to route to."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def preserve_path_prefix(self) -> str | None:
        """An optional flag to preserve the path that is forwarded to the backend service."""
        return _get_str(self._data, "preserve_path_prefix")

    @preserve_path_prefix.setter
    def preserve_path_prefix(self, value: str | None) -> None:
        _set(self._data, "preserve_path_prefix", value)

    @property
    def rewrite(self) -> str | None:
        """An optional field that will rewrite the path of the component to be what is specified
        here.
        """
        return _get_str(self._data, "rewrite")

    @rewrite.setter
    def rewrite(self, value: str | None) -> None:
        _set(self._data, "rewrite", value)


class AppIngressSpecRuleRoutingRedirect(Model):
    """The redirect configuration for the rule. Schema `app_ingress_spec_rule_routing_redirect`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_ingress_spec_rule_routing_redirect"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("uri", "uri"),
        ("authority", "authority"),
        ("port", "port"),
        ("scheme", "scheme"),
        ("redirect_code", "redirect_code"),
    )

    @property
    def uri(self) -> str | None:
        """An optional URI path to redirect to."""
        return _get_str(self._data, "uri")

    @uri.setter
    def uri(self, value: str | None) -> None:
        _set(self._data, "uri", value)

    @property
    def authority(self) -> str | None:
        """The authority/host to redirect to."""
        return _get_str(self._data, "authority")

    @authority.setter
    def authority(self, value: str | None) -> None:
        _set(self._data, "authority", value)

    @property
    def port(self) -> int | None:
        """The port to redirect to."""
        return _get_int(self._data, "port")

    @port.setter
    def port(self, value: int | None) -> None:
        _set(self._data, "port", value)

    @property
    def scheme(self) -> str | None:
        """The scheme to redirect to."""
        return _get_str(self._data, "scheme")

    @scheme.setter
    def scheme(self, value: str | None) -> None:
        _set(self._data, "scheme", value)

    @property
    def redirect_code(self) -> int | None:
        """The redirect code to use."""
        return _get_int(self._data, "redirect_code")

    @redirect_code.setter
    def redirect_code(self, value: int | None) -> None:
        _set(self._data, "redirect_code", value)


class AppIngressSpecRuleStringMatchExact(Model):
    """The authority to match on. Schema `app_ingress_spec_rule_string_match_exact`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_ingress_spec_rule_string_match_exact"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("exact", "exact"),)

    @property
    def exact(self) -> str | None:
        """Exact string match."""
        return _get_str(self._data, "exact")

    @exact.setter
    def exact(self, value: str | None) -> None:
        _set(self._data, "exact", value)


class AppIngressSpecRuleStringMatchPrefix(Model):
    """The path to match on. Schema `app_ingress_spec_rule_string_match_prefix`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_ingress_spec_rule_string_match_prefix"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("prefix", "prefix"),)

    @property
    def prefix(self) -> str | None:
        """Prefix-based match."""
        return _get_str(self._data, "prefix")

    @prefix.setter
    def prefix(self, value: str | None) -> None:
        _set(self._data, "prefix", value)


class AppInstance(Model):
    """Schema `app_instance`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_instance"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("component_name", "component_name"),
        ("component_type", "component_type"),
        ("instance_name", "instance_name"),
        ("instance_alias", "instance_alias"),
    )

    @property
    def component_name(self) -> str | None:
        """Name of the component, from the app spec."""
        return _get_str(self._data, "component_name")

    @component_name.setter
    def component_name(self, value: str | None) -> None:
        _set(self._data, "component_name", value)

    @property
    def component_type(self) -> str | None:
        """Supported compute component by DigitalOcean App Platform."""
        return _get_str(self._data, "component_type")

    @component_type.setter
    def component_type(self, value: str | None) -> None:
        _set(self._data, "component_type", value)

    @property
    def instance_name(self) -> str | None:
        """Name of the instance, which is a unique identifier for the instance."""
        return _get_str(self._data, "instance_name")

    @instance_name.setter
    def instance_name(self, value: str | None) -> None:
        _set(self._data, "instance_name", value)

    @property
    def instance_alias(self) -> str | None:
        """Readable identifier, an alias of the instance name, reference for mapping insights to
        instance names.
        """
        return _get_str(self._data, "instance_alias")

    @instance_alias.setter
    def instance_alias(self, value: str | None) -> None:
        _set(self._data, "instance_alias", value)


class AppInstances(Model):
    """Schema `app_instances`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_instances"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("instances", "instances"),)

    @property
    def instances(self) -> list[AppInstance] | None:
        """``instances``."""
        return _get_models(self._data, "instances", AppInstance)

    @instances.setter
    def instances(self, value: list[AppInstance] | None) -> None:
        _set(self._data, "instances", value)


class AppJobInvocation(Model):
    """Schema `app_job_invocation`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_job_invocation"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("id", "id"),
        ("job_name", "job_name"),
        ("deployment_id", "deployment_id"),
        ("phase", "phase"),
        ("trigger", "trigger"),
        ("created_at", "created_at"),
        ("started_at", "started_at"),
        ("completed_at", "completed_at"),
    )

    @property
    def id(self) -> str | None:
        """The ID of the job invocation"""
        return _get_str(self._data, "id")

    @id.setter
    def id(self, value: str | None) -> None:
        _set(self._data, "id", value)

    @property
    def job_name(self) -> str | None:
        """The name of the job this invocation belongs to."""
        return _get_str(self._data, "job_name")

    @job_name.setter
    def job_name(self, value: str | None) -> None:
        _set(self._data, "job_name", value)

    @property
    def deployment_id(self) -> str | None:
        """The deployment ID this job invocation belongs to."""
        return _get_str(self._data, "deployment_id")

    @deployment_id.setter
    def deployment_id(self, value: str | None) -> None:
        _set(self._data, "deployment_id", value)

    @property
    def phase(self) -> str | None:
        """The phase of the job invocation"""
        return _get_str(self._data, "phase")

    @phase.setter
    def phase(self, value: str | None) -> None:
        _set(self._data, "phase", value)

    @property
    def trigger(self) -> AppJobInvocationTrigger | None:
        """The JobInvocation Trigger"""
        return _get_model(self._data, "trigger", AppJobInvocationTrigger)

    @trigger.setter
    def trigger(self, value: AppJobInvocationTrigger | None) -> None:
        _set(self._data, "trigger", value)

    @property
    def created_at(self) -> str | None:
        """The time when the job invocation was created"""
        return _get_str(self._data, "created_at")

    @created_at.setter
    def created_at(self, value: str | None) -> None:
        _set(self._data, "created_at", value)

    @property
    def started_at(self) -> str | None:
        """The time when the job invocation started"""
        return _get_str(self._data, "started_at")

    @started_at.setter
    def started_at(self, value: str | None) -> None:
        _set(self._data, "started_at", value)

    @property
    def completed_at(self) -> str | None:
        """The time when the job invocation completed"""
        return _get_str(self._data, "completed_at")

    @completed_at.setter
    def completed_at(self, value: str | None) -> None:
        _set(self._data, "completed_at", value)


class AppJobInvocationTrigger(Model):
    """The JobInvocation Trigger Inline schema `app_job_invocation.trigger`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_job_invocation.trigger"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("type", "type"),
        ("scheduled", "scheduled"),
        ("manual", "manual"),
    )

    @property
    def type(self) -> str | None:
        """The type of trigger that initiated the job invocation."""
        return _get_str(self._data, "type")

    @type.setter
    def type(self, value: str | None) -> None:
        _set(self._data, "type", value)

    @property
    def scheduled(self) -> AppJobInvocationTriggerScheduled | None:
        """The schedule for the job"""
        return _get_model(self._data, "scheduled", AppJobInvocationTriggerScheduled)

    @scheduled.setter
    def scheduled(self, value: AppJobInvocationTriggerScheduled | None) -> None:
        _set(self._data, "scheduled", value)

    @property
    def manual(self) -> AppJobInvocationTriggerManual | None:
        """Details about the manual trigger, if applicable"""
        return _get_model(self._data, "manual", AppJobInvocationTriggerManual)

    @manual.setter
    def manual(self, value: AppJobInvocationTriggerManual | None) -> None:
        _set(self._data, "manual", value)


class AppJobInvocationTriggerScheduled(Model):
    """The schedule for the job Inline schema `app_job_invocation.trigger.scheduled`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_job_invocation.trigger.scheduled"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("schedule", "schedule"),)

    @property
    def schedule(self) -> AppJobInvocationTriggerScheduledSchedule | None:
        """``schedule``."""
        return _get_model(self._data, "schedule", AppJobInvocationTriggerScheduledSchedule)

    @schedule.setter
    def schedule(self, value: AppJobInvocationTriggerScheduledSchedule | None) -> None:
        _set(self._data, "schedule", value)


class AppJobInvocationTriggerScheduledSchedule(Model):
    """Inline schema `app_job_invocation.trigger.scheduled.schedule`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_job_invocation.trigger.scheduled.schedule"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("cron", "cron"), ("time_zone", "time_zone"))

    @property
    def cron(self) -> str | None:
        """The cron expression defining the schedule"""
        return _get_str(self._data, "cron")

    @cron.setter
    def cron(self, value: str | None) -> None:
        _set(self._data, "cron", value)

    @property
    def time_zone(self) -> str | None:
        """The time zone for the schedule"""
        return _get_str(self._data, "time_zone")

    @time_zone.setter
    def time_zone(self, value: str | None) -> None:
        _set(self._data, "time_zone", value)


class AppJobInvocationTriggerManual(Model):
    """Details about the manual trigger, if applicable Inline schema
    `app_job_invocation.trigger.manual`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "app_job_invocation.trigger.manual"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("user", "user"),)

    @property
    def user(self) -> AppJobInvocationTriggerManualUser | None:
        """The user who triggered the job"""
        return _get_model(self._data, "user", AppJobInvocationTriggerManualUser)

    @user.setter
    def user(self, value: AppJobInvocationTriggerManualUser | None) -> None:
        _set(self._data, "user", value)


class AppJobInvocationTriggerManualUser(Model):
    """The user who triggered the job Inline schema `app_job_invocation.trigger.manual.user`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_job_invocation.trigger.manual.user"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("uuid", "uuid"),
        ("email", "email"),
        ("full_name", "full_name"),
    )

    @property
    def uuid(self) -> str | None:
        """The ID of the user who triggered the job"""
        return _get_str(self._data, "uuid")

    @uuid.setter
    def uuid(self, value: str | None) -> None:
        _set(self._data, "uuid", value)

    @property
    def email(self) -> str | None:
        """The email of the user who triggered the job"""
        return _get_str(self._data, "email")

    @email.setter
    def email(self, value: str | None) -> None:
        _set(self._data, "email", value)

    @property
    def full_name(self) -> str | None:
        """The name of the user who triggered the job"""
        return _get_str(self._data, "full_name")

    @full_name.setter
    def full_name(self, value: str | None) -> None:
        _set(self._data, "full_name", value)


class AppJobInvocations(Model):
    """Schema `app_job_invocations`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_job_invocations"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("job_invocations", "job_invocations"),
        ("links", "links"),
    )

    @property
    def job_invocations(self) -> list[AppJobInvocation] | None:
        """A list of job invocations"""
        return _get_models(self._data, "job_invocations", AppJobInvocation)

    @job_invocations.setter
    def job_invocations(self, value: list[AppJobInvocation] | None) -> None:
        _set(self._data, "job_invocations", value)

    @property
    def links(self) -> PageLinks | None:
        """``links``."""
        return _get_model(self._data, "links", PageLinks)

    @links.setter
    def links(self, value: PageLinks | None) -> None:
        _set(self._data, "links", value)


class AppJobSpec(Model):
    """Schema `app_job_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_job_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("git", "git"),
        ("github", "github"),
        ("gitlab", "gitlab"),
        ("bitbucket", "bitbucket"),
        ("image", "image"),
        ("dockerfile_path", "dockerfile_path"),
        ("build_command", "build_command"),
        ("run_command", "run_command"),
        ("source_dir", "source_dir"),
        ("envs", "envs"),
        ("environment_slug", "environment_slug"),
        ("log_destinations", "log_destinations"),
        ("instance_count", "instance_count"),
        ("instance_size_slug", "instance_size_slug"),
        ("kind", "kind"),
        ("termination", "termination"),
    )

    @property
    def name(self) -> str | None:
        """The name."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def git(self) -> AppsGitSourceSpec | None:
        """``git``."""
        return _get_model(self._data, "git", AppsGitSourceSpec)

    @git.setter
    def git(self, value: AppsGitSourceSpec | None) -> None:
        _set(self._data, "git", value)

    @property
    def github(self) -> AppsGithubSourceSpec | None:
        """``github``."""
        return _get_model(self._data, "github", AppsGithubSourceSpec)

    @github.setter
    def github(self, value: AppsGithubSourceSpec | None) -> None:
        _set(self._data, "github", value)

    @property
    def gitlab(self) -> AppsGitlabSourceSpec | None:
        """``gitlab``."""
        return _get_model(self._data, "gitlab", AppsGitlabSourceSpec)

    @gitlab.setter
    def gitlab(self, value: AppsGitlabSourceSpec | None) -> None:
        _set(self._data, "gitlab", value)

    @property
    def bitbucket(self) -> AppsBitbucketSourceSpec | None:
        """``bitbucket``."""
        return _get_model(self._data, "bitbucket", AppsBitbucketSourceSpec)

    @bitbucket.setter
    def bitbucket(self, value: AppsBitbucketSourceSpec | None) -> None:
        _set(self._data, "bitbucket", value)

    @property
    def image(self) -> AppsImageSourceSpec | None:
        """``image``."""
        return _get_model(self._data, "image", AppsImageSourceSpec)

    @image.setter
    def image(self, value: AppsImageSourceSpec | None) -> None:
        _set(self._data, "image", value)

    @property
    def dockerfile_path(self) -> str | None:
        """The path to the Dockerfile relative to the root of the repo."""
        return _get_str(self._data, "dockerfile_path")

    @dockerfile_path.setter
    def dockerfile_path(self, value: str | None) -> None:
        _set(self._data, "dockerfile_path", value)

    @property
    def build_command(self) -> str | None:
        """An optional build command to run while building this component from source."""
        return _get_str(self._data, "build_command")

    @build_command.setter
    def build_command(self, value: str | None) -> None:
        _set(self._data, "build_command", value)

    @property
    def run_command(self) -> str | None:
        """An optional run command to override the component's default."""
        return _get_str(self._data, "run_command")

    @run_command.setter
    def run_command(self, value: str | None) -> None:
        _set(self._data, "run_command", value)

    @property
    def source_dir(self) -> str | None:
        """An optional path to the working directory to use for the build."""
        return _get_str(self._data, "source_dir")

    @source_dir.setter
    def source_dir(self, value: str | None) -> None:
        _set(self._data, "source_dir", value)

    @property
    def envs(self) -> list[AppVariableDefinition] | None:
        """A list of environment variables made available to the component."""
        return _get_models(self._data, "envs", AppVariableDefinition)

    @envs.setter
    def envs(self, value: list[AppVariableDefinition] | None) -> None:
        _set(self._data, "envs", value)

    @property
    def environment_slug(self) -> str | None:
        """An environment slug describing the type of this app."""
        return _get_str(self._data, "environment_slug")

    @environment_slug.setter
    def environment_slug(self, value: str | None) -> None:
        _set(self._data, "environment_slug", value)

    @property
    def log_destinations(self) -> list[AppLogDestinationDefinition] | None:
        """A list of configured log forwarding destinations."""
        return _get_models(self._data, "log_destinations", AppLogDestinationDefinition)

    @log_destinations.setter
    def log_destinations(self, value: list[AppLogDestinationDefinition] | None) -> None:
        _set(self._data, "log_destinations", value)

    @property
    def instance_count(self) -> int | None:
        """The amount of instances that this component should be scaled to."""
        return _get_int(self._data, "instance_count")

    @instance_count.setter
    def instance_count(self, value: int | None) -> None:
        _set(self._data, "instance_count", value)

    @property
    def instance_size_slug(self) -> str | None:
        """The instance size to use for this component."""
        return _get_str(self._data, "instance_size_slug")

    @instance_size_slug.setter
    def instance_size_slug(self, value: str | None) -> None:
        _set(self._data, "instance_size_slug", value)

    @property
    def kind(self) -> str | None:
        """- UNSPECIFIED: Default job type, will auto-complete to POST_DEPLOY kind. - PRE_DEPLOY:
        Indicates a job that runs before an app deployment. - POST_DEPLOY: Indicates a job that
        runs after an app deployment. - FAILED_DEPLOY: Indicates a job that runs after a
        component fails to deploy.
        """
        return _get_str(self._data, "kind")

    @kind.setter
    def kind(self, value: str | None) -> None:
        _set(self._data, "kind", value)

    @property
    def termination(self) -> AppJobSpecTermination | None:
        """``termination``."""
        return _get_model(self._data, "termination", AppJobSpecTermination)

    @termination.setter
    def termination(self, value: AppJobSpecTermination | None) -> None:
        _set(self._data, "termination", value)


class AppJobSpecTermination(Model):
    """Schema `app_job_spec_termination`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_job_spec_termination"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("grace_period_seconds", "grace_period_seconds"),
    )

    @property
    def grace_period_seconds(self) -> int | None:
        """The number of seconds to wait between sending a TERM signal to a container and issuing a
        KILL which causes immediate shutdown.
        """
        return _get_int(self._data, "grace_period_seconds")

    @grace_period_seconds.setter
    def grace_period_seconds(self, value: int | None) -> None:
        _set(self._data, "grace_period_seconds", value)


class AppLogDestinationDatadogSpec(Model):
    """DataDog configuration. Schema `app_log_destination_datadog_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_log_destination_datadog_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("endpoint", "endpoint"),
        ("api_key", "api_key"),
    )
    _secrets: ClassVar[frozenset[str]] = frozenset({"api_key"})

    @property
    def endpoint(self) -> str | None:
        """Datadog HTTP log intake endpoint."""
        return _get_str(self._data, "endpoint")

    @endpoint.setter
    def endpoint(self, value: str | None) -> None:
        _set(self._data, "endpoint", value)

    @property
    def api_key(self) -> str | None:
        """Datadog API key."""
        return _get_str(self._data, "api_key")

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        _set(self._data, "api_key", value)


class AppLogDestinationDefinition(Model):
    """Configurations for external logging. Schema `app_log_destination_definition`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_log_destination_definition"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("papertrail", "papertrail"),
        ("datadog", "datadog"),
        ("logtail", "logtail"),
        ("open_search", "open_search"),
    )

    @property
    def name(self) -> str | None:
        """``name``."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def papertrail(self) -> AppLogDestinationPapertrailSpec | None:
        """Papertrail configuration."""
        return _get_model(self._data, "papertrail", AppLogDestinationPapertrailSpec)

    @papertrail.setter
    def papertrail(self, value: AppLogDestinationPapertrailSpec | None) -> None:
        _set(self._data, "papertrail", value)

    @property
    def datadog(self) -> AppLogDestinationDatadogSpec | None:
        """DataDog configuration."""
        return _get_model(self._data, "datadog", AppLogDestinationDatadogSpec)

    @datadog.setter
    def datadog(self, value: AppLogDestinationDatadogSpec | None) -> None:
        _set(self._data, "datadog", value)

    @property
    def logtail(self) -> AppLogDestinationLogtailSpec | None:
        """Logtail configuration."""
        return _get_model(self._data, "logtail", AppLogDestinationLogtailSpec)

    @logtail.setter
    def logtail(self, value: AppLogDestinationLogtailSpec | None) -> None:
        _set(self._data, "logtail", value)

    @property
    def open_search(self) -> AppLogDestinationOpenSearchSpec | None:
        """OpenSearch configuration."""
        return _get_model(self._data, "open_search", AppLogDestinationOpenSearchSpec)

    @open_search.setter
    def open_search(self, value: AppLogDestinationOpenSearchSpec | None) -> None:
        _set(self._data, "open_search", value)


class AppLogDestinationLogtailSpec(Model):
    """Logtail configuration. Schema `app_log_destination_logtail_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_log_destination_logtail_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("token", "token"),)
    _secrets: ClassVar[frozenset[str]] = frozenset({"token"})

    @property
    def token(self) -> str | None:
        """Logtail token."""
        return _get_str(self._data, "token")

    @token.setter
    def token(self, value: str | None) -> None:
        _set(self._data, "token", value)


class AppLogDestinationOpenSearchSpec(Model):
    """OpenSearch configuration. Schema `app_log_destination_open_search_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_log_destination_open_search_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("endpoint", "endpoint"),
        ("basic_auth", "basic_auth"),
        ("index_name", "index_name"),
        ("cluster_name", "cluster_name"),
    )

    @property
    def endpoint(self) -> str | None:
        """OpenSearch API Endpoint."""
        return _get_str(self._data, "endpoint")

    @endpoint.setter
    def endpoint(self, value: str | None) -> None:
        _set(self._data, "endpoint", value)

    @property
    def basic_auth(self) -> AppLogDestinationOpenSearchSpecBasicAuth | None:
        """Configure Username and/or Password for Basic authentication."""
        return _get_model(self._data, "basic_auth", AppLogDestinationOpenSearchSpecBasicAuth)

    @basic_auth.setter
    def basic_auth(self, value: AppLogDestinationOpenSearchSpecBasicAuth | None) -> None:
        _set(self._data, "basic_auth", value)

    @property
    def index_name(self) -> str | None:
        """The index name to use for the logs."""
        return _get_str(self._data, "index_name")

    @index_name.setter
    def index_name(self, value: str | None) -> None:
        _set(self._data, "index_name", value)

    @property
    def cluster_name(self) -> str | None:
        """The name of a DigitalOcean DBaaS OpenSearch cluster to use as a log forwarding
        destination.
        """
        return _get_str(self._data, "cluster_name")

    @cluster_name.setter
    def cluster_name(self, value: str | None) -> None:
        _set(self._data, "cluster_name", value)


class AppLogDestinationOpenSearchSpecBasicAuth(Model):
    """Configure Username and/or Password for Basic authentication. Schema
    `app_log_destination_open_search_spec_basic_auth`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "app_log_destination_open_search_spec_basic_auth"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("user", "user"), ("password", "password"))
    _secrets: ClassVar[frozenset[str]] = frozenset({"password"})

    @property
    def user(self) -> str | None:
        """Username to authenticate with."""
        return _get_str(self._data, "user")

    @user.setter
    def user(self, value: str | None) -> None:
        _set(self._data, "user", value)

    @property
    def password(self) -> str | None:
        """Password for user defined in User."""
        return _get_str(self._data, "password")

    @password.setter
    def password(self, value: str | None) -> None:
        _set(self._data, "password", value)


class AppLogDestinationPapertrailSpec(Model):
    """Papertrail configuration. Schema `app_log_destination_papertrail_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_log_destination_papertrail_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("endpoint", "endpoint"),)

    @property
    def endpoint(self) -> str | None:
        """Papertrail syslog endpoint."""
        return _get_str(self._data, "endpoint")

    @endpoint.setter
    def endpoint(self, value: str | None) -> None:
        _set(self._data, "endpoint", value)


class AppMaintenanceSpec(Model):
    """Specification to configure maintenance settings for the app, such as maintenance mode and
    archiving the app. Schema `app_maintenance_spec`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "app_maintenance_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("enabled", "enabled"),
        ("archive", "archive"),
        ("offline_page_url", "offline_page_url"),
    )

    @property
    def enabled(self) -> bool | None:
        """Indicates whether maintenance mode should be enabled for the app."""
        return _get_bool(self._data, "enabled")

    @enabled.setter
    def enabled(self, value: bool | None) -> None:
        _set(self._data, "enabled", value)

    @property
    def archive(self) -> bool | None:
        """Indicates whether the app should be archived."""
        return _get_bool(self._data, "archive")

    @archive.setter
    def archive(self, value: bool | None) -> None:
        _set(self._data, "archive", value)

    @property
    def offline_page_url(self) -> str | None:
        """A custom offline page to display when maintenance mode is enabled or the app is archived.
        """
        return _get_str(self._data, "offline_page_url")

    @offline_page_url.setter
    def offline_page_url(self, value: str | None) -> None:
        _set(self._data, "offline_page_url", value)


class AppMetricsBandwidthUsage(Model):
    """Schema `app_metrics_bandwidth_usage`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_metrics_bandwidth_usage"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("app_bandwidth_usage", "app_bandwidth_usage"),
        ("date", "date"),
    )

    @property
    def app_bandwidth_usage(self) -> list[AppMetricsBandwidthUsageDetails] | None:
        """A list of bandwidth usage details by app."""
        return _get_models(self._data, "app_bandwidth_usage", AppMetricsBandwidthUsageDetails)

    @app_bandwidth_usage.setter
    def app_bandwidth_usage(self, value: list[AppMetricsBandwidthUsageDetails] | None) -> None:
        _set(self._data, "app_bandwidth_usage", value)

    @property
    def date(self) -> str | None:
        """The date for the metrics data."""
        return _get_str(self._data, "date")

    @date.setter
    def date(self, value: str | None) -> None:
        _set(self._data, "date", value)


class AppMetricsBandwidthUsageDetails(Model):
    """Bandwidth usage for an app. Schema `app_metrics_bandwidth_usage_details`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_metrics_bandwidth_usage_details"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("app_id", "app_id"),
        ("bandwidth_bytes", "bandwidth_bytes"),
    )

    @property
    def app_id(self) -> str | None:
        """The ID of the app."""
        return _get_str(self._data, "app_id")

    @app_id.setter
    def app_id(self, value: str | None) -> None:
        _set(self._data, "app_id", value)

    @property
    def bandwidth_bytes(self) -> str | None:
        """The used bandwidth amount in bytes."""
        return _get_str(self._data, "bandwidth_bytes")

    @bandwidth_bytes.setter
    def bandwidth_bytes(self, value: str | None) -> None:
        _set(self._data, "bandwidth_bytes", value)


class AppMetricsBandwidthUsageRequest(Model):
    """Schema `app_metrics_bandwidth_usage_request`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_metrics_bandwidth_usage_request"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("app_ids", "app_ids"), ("date", "date"))

    @property
    def app_ids(self) -> list[str] | None:
        """A list of app IDs to query bandwidth metrics for."""
        return _get_strs(self._data, "app_ids")

    @app_ids.setter
    def app_ids(self, value: list[str] | None) -> None:
        _set(self._data, "app_ids", value)

    @property
    def date(self) -> str | None:
        """Optional day to query."""
        return _get_str(self._data, "date")

    @date.setter
    def date(self, value: str | None) -> None:
        _set(self._data, "date", value)


class AppPropose(Model):
    """Schema `app_propose`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_propose"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("spec", "spec"), ("app_id", "app_id"))

    @property
    def spec(self) -> AppSpec | None:
        """The desired configuration of an application."""
        return _get_model(self._data, "spec", AppSpec)

    @spec.setter
    def spec(self, value: AppSpec | None) -> None:
        _set(self._data, "spec", value)

    @property
    def app_id(self) -> str | None:
        """An optional ID of an existing app."""
        return _get_str(self._data, "app_id")

    @app_id.setter
    def app_id(self, value: str | None) -> None:
        _set(self._data, "app_id", value)


class AppProposeResponse(Model):
    """Schema `app_propose_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_propose_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("app_is_static", "app_is_static"),
        ("app_name_available", "app_name_available"),
        ("app_name_suggestion", "app_name_suggestion"),
        ("existing_static_apps", "existing_static_apps"),
        ("spec", "spec"),
        ("app_cost", "app_cost"),
        ("app_tier_downgrade_cost", "app_tier_downgrade_cost"),
    )

    @property
    def app_is_static(self) -> bool | None:
        """Indicates whether the app is a static app."""
        return _get_bool(self._data, "app_is_static")

    @app_is_static.setter
    def app_is_static(self, value: bool | None) -> None:
        _set(self._data, "app_is_static", value)

    @property
    def app_name_available(self) -> bool | None:
        """Indicates whether the app name is available."""
        return _get_bool(self._data, "app_name_available")

    @app_name_available.setter
    def app_name_available(self, value: bool | None) -> None:
        _set(self._data, "app_name_available", value)

    @property
    def app_name_suggestion(self) -> str | None:
        """The suggested name if the proposed app name is unavailable."""
        return _get_str(self._data, "app_name_suggestion")

    @app_name_suggestion.setter
    def app_name_suggestion(self, value: str | None) -> None:
        _set(self._data, "app_name_suggestion", value)

    @property
    def existing_static_apps(self) -> str | None:
        """The maximum number of free static apps the account can have."""
        return _get_str(self._data, "existing_static_apps")

    @existing_static_apps.setter
    def existing_static_apps(self, value: str | None) -> None:
        _set(self._data, "existing_static_apps", value)

    @property
    def spec(self) -> AppSpec | None:
        """The desired configuration of an application."""
        return _get_model(self._data, "spec", AppSpec)

    @spec.setter
    def spec(self, value: AppSpec | None) -> None:
        _set(self._data, "spec", value)

    @property
    def app_cost(self) -> int | None:
        """The monthly cost of the proposed app in USD."""
        return _get_int(self._data, "app_cost")

    @app_cost.setter
    def app_cost(self, value: int | None) -> None:
        _set(self._data, "app_cost", value)

    @property
    def app_tier_downgrade_cost(self) -> int | None:
        """The monthly cost of the proposed app in USD using the previous pricing plan tier."""
        return _get_int(self._data, "app_tier_downgrade_cost")

    @app_tier_downgrade_cost.setter
    def app_tier_downgrade_cost(self, value: int | None) -> None:
        _set(self._data, "app_tier_downgrade_cost", value)


class AppResponse(Model):
    """Schema `app_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("app", "app"),)

    @property
    def app(self) -> App | None:
        """An application's configuration and status."""
        return _get_model(self._data, "app", App)

    @app.setter
    def app(self, value: App | None) -> None:
        _set(self._data, "app", value)


class AppRollbackValidationCondition(Model):
    """Schema `app_rollback_validation_condition`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_rollback_validation_condition"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("code", "code"),
        ("message", "message"),
        ("components", "components"),
    )

    @property
    def code(self) -> str | None:
        """A code identifier that represents the failing condition."""
        return _get_str(self._data, "code")

    @code.setter
    def code(self, value: str | None) -> None:
        _set(self._data, "code", value)

    @property
    def message(self) -> str | None:
        """A human-readable message describing the failing condition."""
        return _get_str(self._data, "message")

    @message.setter
    def message(self, value: str | None) -> None:
        _set(self._data, "message", value)

    @property
    def components(self) -> list[str] | None:
        """``components``."""
        return _get_strs(self._data, "components")

    @components.setter
    def components(self, value: list[str] | None) -> None:
        _set(self._data, "components", value)


class AppRouteSpec(Model):
    """A criterion for routing HTTP traffic to a component. Schema `app_route_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_route_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("path", "path"),
        ("preserve_path_prefix", "preserve_path_prefix"),
    )

    @property
    def path(self) -> str | None:
        """(Deprecated - Use Ingress Rules instead)."""
        return _get_str(self._data, "path")

    @path.setter
    def path(self, value: str | None) -> None:
        _set(self._data, "path", value)

    @property
    def preserve_path_prefix(self) -> bool | None:
        """An optional flag to preserve the path that is forwarded to the backend service."""
        return _get_bool(self._data, "preserve_path_prefix")

    @preserve_path_prefix.setter
    def preserve_path_prefix(self, value: bool | None) -> None:
        _set(self._data, "preserve_path_prefix", value)


class AppServiceSpec(Model):
    """Schema `app_service_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_service_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("git", "git"),
        ("github", "github"),
        ("gitlab", "gitlab"),
        ("bitbucket", "bitbucket"),
        ("image", "image"),
        ("dockerfile_path", "dockerfile_path"),
        ("build_command", "build_command"),
        ("run_command", "run_command"),
        ("source_dir", "source_dir"),
        ("envs", "envs"),
        ("environment_slug", "environment_slug"),
        ("log_destinations", "log_destinations"),
        ("instance_count", "instance_count"),
        ("instance_size_slug", "instance_size_slug"),
        ("autoscaling", "autoscaling"),
        ("cors", "cors"),
        ("health_check", "health_check"),
        ("liveness_health_check", "liveness_health_check"),
        ("protocol", "protocol"),
        ("http_port", "http_port"),
        ("internal_ports", "internal_ports"),
        ("routes", "routes"),
        ("termination", "termination"),
    )

    @property
    def name(self) -> str | None:
        """The name."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def git(self) -> AppsGitSourceSpec | None:
        """``git``."""
        return _get_model(self._data, "git", AppsGitSourceSpec)

    @git.setter
    def git(self, value: AppsGitSourceSpec | None) -> None:
        _set(self._data, "git", value)

    @property
    def github(self) -> AppsGithubSourceSpec | None:
        """``github``."""
        return _get_model(self._data, "github", AppsGithubSourceSpec)

    @github.setter
    def github(self, value: AppsGithubSourceSpec | None) -> None:
        _set(self._data, "github", value)

    @property
    def gitlab(self) -> AppsGitlabSourceSpec | None:
        """``gitlab``."""
        return _get_model(self._data, "gitlab", AppsGitlabSourceSpec)

    @gitlab.setter
    def gitlab(self, value: AppsGitlabSourceSpec | None) -> None:
        _set(self._data, "gitlab", value)

    @property
    def bitbucket(self) -> AppsBitbucketSourceSpec | None:
        """``bitbucket``."""
        return _get_model(self._data, "bitbucket", AppsBitbucketSourceSpec)

    @bitbucket.setter
    def bitbucket(self, value: AppsBitbucketSourceSpec | None) -> None:
        _set(self._data, "bitbucket", value)

    @property
    def image(self) -> AppsImageSourceSpec | None:
        """``image``."""
        return _get_model(self._data, "image", AppsImageSourceSpec)

    @image.setter
    def image(self, value: AppsImageSourceSpec | None) -> None:
        _set(self._data, "image", value)

    @property
    def dockerfile_path(self) -> str | None:
        """The path to the Dockerfile relative to the root of the repo."""
        return _get_str(self._data, "dockerfile_path")

    @dockerfile_path.setter
    def dockerfile_path(self, value: str | None) -> None:
        _set(self._data, "dockerfile_path", value)

    @property
    def build_command(self) -> str | None:
        """An optional build command to run while building this component from source."""
        return _get_str(self._data, "build_command")

    @build_command.setter
    def build_command(self, value: str | None) -> None:
        _set(self._data, "build_command", value)

    @property
    def run_command(self) -> str | None:
        """An optional run command to override the component's default."""
        return _get_str(self._data, "run_command")

    @run_command.setter
    def run_command(self, value: str | None) -> None:
        _set(self._data, "run_command", value)

    @property
    def source_dir(self) -> str | None:
        """An optional path to the working directory to use for the build."""
        return _get_str(self._data, "source_dir")

    @source_dir.setter
    def source_dir(self, value: str | None) -> None:
        _set(self._data, "source_dir", value)

    @property
    def envs(self) -> list[AppVariableDefinition] | None:
        """A list of environment variables made available to the component."""
        return _get_models(self._data, "envs", AppVariableDefinition)

    @envs.setter
    def envs(self, value: list[AppVariableDefinition] | None) -> None:
        _set(self._data, "envs", value)

    @property
    def environment_slug(self) -> str | None:
        """An environment slug describing the type of this app."""
        return _get_str(self._data, "environment_slug")

    @environment_slug.setter
    def environment_slug(self, value: str | None) -> None:
        _set(self._data, "environment_slug", value)

    @property
    def log_destinations(self) -> list[AppLogDestinationDefinition] | None:
        """A list of configured log forwarding destinations."""
        return _get_models(self._data, "log_destinations", AppLogDestinationDefinition)

    @log_destinations.setter
    def log_destinations(self, value: list[AppLogDestinationDefinition] | None) -> None:
        _set(self._data, "log_destinations", value)

    @property
    def instance_count(self) -> int | None:
        """The amount of instances that this component should be scaled to."""
        return _get_int(self._data, "instance_count")

    @instance_count.setter
    def instance_count(self, value: int | None) -> None:
        _set(self._data, "instance_count", value)

    @property
    def instance_size_slug(self) -> str | None:
        """The instance size to use for this component."""
        return _get_str(self._data, "instance_size_slug")

    @instance_size_slug.setter
    def instance_size_slug(self, value: str | None) -> None:
        _set(self._data, "instance_size_slug", value)

    @property
    def autoscaling(self) -> AppAutoscalingSpecService | None:
        """Configuration for automatically scaling this component based on metrics."""
        return _get_model(self._data, "autoscaling", AppAutoscalingSpecService)

    @autoscaling.setter
    def autoscaling(self, value: AppAutoscalingSpecService | None) -> None:
        _set(self._data, "autoscaling", value)

    @property
    def cors(self) -> AppsCorsPolicy | None:
        """(Deprecated - Use Ingress Rules instead)."""
        return _get_model(self._data, "cors", AppsCorsPolicy)

    @cors.setter
    def cors(self, value: AppsCorsPolicy | None) -> None:
        _set(self._data, "cors", value)

    @property
    def health_check(self) -> AppServiceSpecHealthCheck | None:
        """``health_check``."""
        return _get_model(self._data, "health_check", AppServiceSpecHealthCheck)

    @health_check.setter
    def health_check(self, value: AppServiceSpecHealthCheck | None) -> None:
        _set(self._data, "health_check", value)

    @property
    def liveness_health_check(self) -> AppHealthCheckSpec | None:
        """``liveness_health_check``."""
        return _get_model(self._data, "liveness_health_check", AppHealthCheckSpec)

    @liveness_health_check.setter
    def liveness_health_check(self, value: AppHealthCheckSpec | None) -> None:
        _set(self._data, "liveness_health_check", value)

    @property
    def protocol(self) -> str | None:
        """The protocol which the service uses to serve traffic on the http_port. - `HTTP`: The app
        is serving the HTTP protocol.
        """
        return _get_str(self._data, "protocol")

    @protocol.setter
    def protocol(self, value: str | None) -> None:
        _set(self._data, "protocol", value)

    @property
    def http_port(self) -> int | None:
        """The internal port on which this service's run command will listen."""
        return _get_int(self._data, "http_port")

    @http_port.setter
    def http_port(self, value: int | None) -> None:
        _set(self._data, "http_port", value)

    @property
    def internal_ports(self) -> list[int] | None:
        """The ports on which this service will listen for internal traffic."""
        return _get_ints(self._data, "internal_ports")

    @internal_ports.setter
    def internal_ports(self, value: list[int] | None) -> None:
        _set(self._data, "internal_ports", value)

    @property
    def routes(self) -> list[AppRouteSpec] | None:
        """(Deprecated - Use Ingress Rules instead)."""
        return _get_models(self._data, "routes", AppRouteSpec)

    @routes.setter
    def routes(self, value: list[AppRouteSpec] | None) -> None:
        _set(self._data, "routes", value)

    @property
    def termination(self) -> AppServiceSpecTermination | None:
        """``termination``."""
        return _get_model(self._data, "termination", AppServiceSpecTermination)

    @termination.setter
    def termination(self, value: AppServiceSpecTermination | None) -> None:
        _set(self._data, "termination", value)


class AppServiceSpecHealthCheck(Model):
    """Schema `app_service_spec_health_check`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_service_spec_health_check"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("failure_threshold", "failure_threshold"),
        ("port", "port"),
        ("http_path", "http_path"),
        ("initial_delay_seconds", "initial_delay_seconds"),
        ("period_seconds", "period_seconds"),
        ("success_threshold", "success_threshold"),
        ("timeout_seconds", "timeout_seconds"),
    )

    @property
    def failure_threshold(self) -> int | None:
        """The number of failed health checks before considered unhealthy."""
        return _get_int(self._data, "failure_threshold")

    @failure_threshold.setter
    def failure_threshold(self, value: int | None) -> None:
        _set(self._data, "failure_threshold", value)

    @property
    def port(self) -> int | None:
        """The port on which the health check will be performed."""
        return _get_int(self._data, "port")

    @port.setter
    def port(self, value: int | None) -> None:
        _set(self._data, "port", value)

    @property
    def http_path(self) -> str | None:
        """The route path used for the HTTP health check ping."""
        return _get_str(self._data, "http_path")

    @http_path.setter
    def http_path(self, value: str | None) -> None:
        _set(self._data, "http_path", value)

    @property
    def initial_delay_seconds(self) -> int | None:
        """The number of seconds to wait before beginning health checks."""
        return _get_int(self._data, "initial_delay_seconds")

    @initial_delay_seconds.setter
    def initial_delay_seconds(self, value: int | None) -> None:
        _set(self._data, "initial_delay_seconds", value)

    @property
    def period_seconds(self) -> int | None:
        """The number of seconds to wait between health checks."""
        return _get_int(self._data, "period_seconds")

    @period_seconds.setter
    def period_seconds(self, value: int | None) -> None:
        _set(self._data, "period_seconds", value)

    @property
    def success_threshold(self) -> int | None:
        """The number of successful health checks before considered healthy."""
        return _get_int(self._data, "success_threshold")

    @success_threshold.setter
    def success_threshold(self, value: int | None) -> None:
        _set(self._data, "success_threshold", value)

    @property
    def timeout_seconds(self) -> int | None:
        """The number of seconds after which the check times out."""
        return _get_int(self._data, "timeout_seconds")

    @timeout_seconds.setter
    def timeout_seconds(self, value: int | None) -> None:
        _set(self._data, "timeout_seconds", value)


class AppServiceSpecTermination(Model):
    """Schema `app_service_spec_termination`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_service_spec_termination"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("drain_seconds", "drain_seconds"),
        ("grace_period_seconds", "grace_period_seconds"),
    )

    @property
    def drain_seconds(self) -> int | None:
        """The number of seconds to wait between selecting a container instance for termination and
        issuing the TERM signal.
        """
        return _get_int(self._data, "drain_seconds")

    @drain_seconds.setter
    def drain_seconds(self, value: int | None) -> None:
        _set(self._data, "drain_seconds", value)

    @property
    def grace_period_seconds(self) -> int | None:
        """The number of seconds to wait between sending a TERM signal to a container and issuing a
        KILL which causes immediate shutdown.
        """
        return _get_int(self._data, "grace_period_seconds")

    @grace_period_seconds.setter
    def grace_period_seconds(self, value: int | None) -> None:
        _set(self._data, "grace_period_seconds", value)


class AppSpec(Model):
    """The desired configuration of an application. Schema `app_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("region", "region"),
        ("disable_edge_cache", "disable_edge_cache"),
        ("disable_email_obfuscation", "disable_email_obfuscation"),
        ("enhanced_threat_control_enabled", "enhanced_threat_control_enabled"),
        ("domains", "domains"),
        ("services", "services"),
        ("static_sites", "static_sites"),
        ("jobs", "jobs"),
        ("workers", "workers"),
        ("functions", "functions"),
        ("databases", "databases"),
        ("ingress", "ingress"),
        ("egress", "egress"),
        ("maintenance", "maintenance"),
        ("vpc", "vpc"),
        ("envs", "envs"),
        ("alerts", "alerts"),
    )

    @classmethod
    def from_yaml(cls, text: str) -> AppSpec:
        """Reads a ``.do/app.yaml`` spec (parsed and checked by the Rust core)."""
        from do_envsync import _native

        return cls(_as_object(json.loads(_native.spec_yaml_to_json(text)), cls))

    def to_yaml(self) -> str:
        """Writes the spec as ``.do/app.yaml`` YAML, keys in their current order."""
        from do_envsync import _native

        return _native.spec_json_to_yaml(self.to_json())

    @property
    def name(self) -> str | None:
        """The name of the app."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def region(self) -> str | None:
        """The slug form of the geographical origin of the app."""
        return _get_str(self._data, "region")

    @region.setter
    def region(self, value: str | None) -> None:
        _set(self._data, "region", value)

    @property
    def disable_edge_cache(self) -> bool | None:
        """If set to `true`, the app will **not** be cached at the edge (CDN)."""
        return _get_bool(self._data, "disable_edge_cache")

    @disable_edge_cache.setter
    def disable_edge_cache(self, value: bool | None) -> None:
        _set(self._data, "disable_edge_cache", value)

    @property
    def disable_email_obfuscation(self) -> bool | None:
        """If set to `true`, email addresses in the app will not be obfuscated."""
        return _get_bool(self._data, "disable_email_obfuscation")

    @disable_email_obfuscation.setter
    def disable_email_obfuscation(self, value: bool | None) -> None:
        _set(self._data, "disable_email_obfuscation", value)

    @property
    def enhanced_threat_control_enabled(self) -> bool | None:
        """If set to `true`, suspicious requests will go through additional security checks to help
        mitigate layer 7 DDoS attacks.
        """
        return _get_bool(self._data, "enhanced_threat_control_enabled")

    @enhanced_threat_control_enabled.setter
    def enhanced_threat_control_enabled(self, value: bool | None) -> None:
        _set(self._data, "enhanced_threat_control_enabled", value)

    @property
    def domains(self) -> list[AppDomainSpec] | None:
        """A set of hostnames where the application will be available."""
        return _get_models(self._data, "domains", AppDomainSpec)

    @domains.setter
    def domains(self, value: list[AppDomainSpec] | None) -> None:
        _set(self._data, "domains", value)

    @property
    def services(self) -> list[AppServiceSpec] | None:
        """Workloads which expose publicly-accessible HTTP services."""
        return _get_models(self._data, "services", AppServiceSpec)

    @services.setter
    def services(self, value: list[AppServiceSpec] | None) -> None:
        _set(self._data, "services", value)

    @property
    def static_sites(self) -> list[AppStaticSiteSpec] | None:
        """Content which can be rendered to static web assets."""
        return _get_models(self._data, "static_sites", AppStaticSiteSpec)

    @static_sites.setter
    def static_sites(self, value: list[AppStaticSiteSpec] | None) -> None:
        _set(self._data, "static_sites", value)

    @property
    def jobs(self) -> list[AppJobSpec] | None:
        """Pre and post deployment workloads which do not expose publicly-accessible HTTP routes."""
        return _get_models(self._data, "jobs", AppJobSpec)

    @jobs.setter
    def jobs(self, value: list[AppJobSpec] | None) -> None:
        _set(self._data, "jobs", value)

    @property
    def workers(self) -> list[AppWorkerSpec] | None:
        """Workloads which do not expose publicly-accessible HTTP services."""
        return _get_models(self._data, "workers", AppWorkerSpec)

    @workers.setter
    def workers(self, value: list[AppWorkerSpec] | None) -> None:
        _set(self._data, "workers", value)

    @property
    def functions(self) -> list[AppFunctionsSpec] | None:
        """Workloads which expose publicly-accessible HTTP services via Functions Components."""
        return _get_models(self._data, "functions", AppFunctionsSpec)

    @functions.setter
    def functions(self, value: list[AppFunctionsSpec] | None) -> None:
        _set(self._data, "functions", value)

    @property
    def databases(self) -> list[AppDatabaseSpec] | None:
        """Database instances which can provide persistence to workloads within the application."""
        return _get_models(self._data, "databases", AppDatabaseSpec)

    @databases.setter
    def databases(self, value: list[AppDatabaseSpec] | None) -> None:
        _set(self._data, "databases", value)

    @property
    def ingress(self) -> AppIngressSpec | None:
        """Specification for app ingress configurations."""
        return _get_model(self._data, "ingress", AppIngressSpec)

    @ingress.setter
    def ingress(self, value: AppIngressSpec | None) -> None:
        _set(self._data, "ingress", value)

    @property
    def egress(self) -> AppEgressSpec | None:
        """Specification for app egress configurations."""
        return _get_model(self._data, "egress", AppEgressSpec)

    @egress.setter
    def egress(self, value: AppEgressSpec | None) -> None:
        _set(self._data, "egress", value)

    @property
    def maintenance(self) -> AppMaintenanceSpec | None:
        """Specification to configure maintenance settings for the app, such as maintenance mode and
        archiving the app.
        """
        return _get_model(self._data, "maintenance", AppMaintenanceSpec)

    @maintenance.setter
    def maintenance(self, value: AppMaintenanceSpec | None) -> None:
        _set(self._data, "maintenance", value)

    @property
    def vpc(self) -> AppsVpc | None:
        """``vpc``."""
        return _get_model(self._data, "vpc", AppsVpc)

    @vpc.setter
    def vpc(self, value: AppsVpc | None) -> None:
        _set(self._data, "vpc", value)

    @property
    def envs(self) -> list[AppVariableDefinition] | None:
        """A list of environment variables made available to all components in the app."""
        return _get_models(self._data, "envs", AppVariableDefinition)

    @envs.setter
    def envs(self, value: list[AppVariableDefinition] | None) -> None:
        _set(self._data, "envs", value)

    @property
    def alerts(self) -> list[AppAlertSpec] | None:
        """A list of alerts which apply to the app."""
        return _get_models(self._data, "alerts", AppAlertSpec)

    @alerts.setter
    def alerts(self, value: list[AppAlertSpec] | None) -> None:
        _set(self._data, "alerts", value)


class AppStaticSiteSpec(Model):
    """Schema `app_static_site_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_static_site_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("git", "git"),
        ("github", "github"),
        ("gitlab", "gitlab"),
        ("bitbucket", "bitbucket"),
        ("image", "image"),
        ("dockerfile_path", "dockerfile_path"),
        ("build_command", "build_command"),
        ("run_command", "run_command"),
        ("source_dir", "source_dir"),
        ("envs", "envs"),
        ("environment_slug", "environment_slug"),
        ("log_destinations", "log_destinations"),
        ("index_document", "index_document"),
        ("error_document", "error_document"),
        ("catchall_document", "catchall_document"),
        ("output_dir", "output_dir"),
        ("cors", "cors"),
        ("routes", "routes"),
    )

    @property
    def name(self) -> str | None:
        """The name."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def git(self) -> AppsGitSourceSpec | None:
        """``git``."""
        return _get_model(self._data, "git", AppsGitSourceSpec)

    @git.setter
    def git(self, value: AppsGitSourceSpec | None) -> None:
        _set(self._data, "git", value)

    @property
    def github(self) -> AppsGithubSourceSpec | None:
        """``github``."""
        return _get_model(self._data, "github", AppsGithubSourceSpec)

    @github.setter
    def github(self, value: AppsGithubSourceSpec | None) -> None:
        _set(self._data, "github", value)

    @property
    def gitlab(self) -> AppsGitlabSourceSpec | None:
        """``gitlab``."""
        return _get_model(self._data, "gitlab", AppsGitlabSourceSpec)

    @gitlab.setter
    def gitlab(self, value: AppsGitlabSourceSpec | None) -> None:
        _set(self._data, "gitlab", value)

    @property
    def bitbucket(self) -> AppsBitbucketSourceSpec | None:
        """``bitbucket``."""
        return _get_model(self._data, "bitbucket", AppsBitbucketSourceSpec)

    @bitbucket.setter
    def bitbucket(self, value: AppsBitbucketSourceSpec | None) -> None:
        _set(self._data, "bitbucket", value)

    @property
    def image(self) -> AppsImageSourceSpec | None:
        """``image``."""
        return _get_model(self._data, "image", AppsImageSourceSpec)

    @image.setter
    def image(self, value: AppsImageSourceSpec | None) -> None:
        _set(self._data, "image", value)

    @property
    def dockerfile_path(self) -> str | None:
        """The path to the Dockerfile relative to the root of the repo."""
        return _get_str(self._data, "dockerfile_path")

    @dockerfile_path.setter
    def dockerfile_path(self, value: str | None) -> None:
        _set(self._data, "dockerfile_path", value)

    @property
    def build_command(self) -> str | None:
        """An optional build command to run while building this component from source."""
        return _get_str(self._data, "build_command")

    @build_command.setter
    def build_command(self, value: str | None) -> None:
        _set(self._data, "build_command", value)

    @property
    def run_command(self) -> str | None:
        """An optional run command to override the component's default."""
        return _get_str(self._data, "run_command")

    @run_command.setter
    def run_command(self, value: str | None) -> None:
        _set(self._data, "run_command", value)

    @property
    def source_dir(self) -> str | None:
        """An optional path to the working directory to use for the build."""
        return _get_str(self._data, "source_dir")

    @source_dir.setter
    def source_dir(self, value: str | None) -> None:
        _set(self._data, "source_dir", value)

    @property
    def envs(self) -> list[AppVariableDefinition] | None:
        """A list of environment variables made available to the component."""
        return _get_models(self._data, "envs", AppVariableDefinition)

    @envs.setter
    def envs(self, value: list[AppVariableDefinition] | None) -> None:
        _set(self._data, "envs", value)

    @property
    def environment_slug(self) -> str | None:
        """An environment slug describing the type of this app."""
        return _get_str(self._data, "environment_slug")

    @environment_slug.setter
    def environment_slug(self, value: str | None) -> None:
        _set(self._data, "environment_slug", value)

    @property
    def log_destinations(self) -> list[AppLogDestinationDefinition] | None:
        """A list of configured log forwarding destinations."""
        return _get_models(self._data, "log_destinations", AppLogDestinationDefinition)

    @log_destinations.setter
    def log_destinations(self, value: list[AppLogDestinationDefinition] | None) -> None:
        _set(self._data, "log_destinations", value)

    @property
    def index_document(self) -> str | None:
        """The name of the index document to use when serving this static site."""
        return _get_str(self._data, "index_document")

    @index_document.setter
    def index_document(self, value: str | None) -> None:
        _set(self._data, "index_document", value)

    @property
    def error_document(self) -> str | None:
        """The name of the error document to use when serving this static site."""
        return _get_str(self._data, "error_document")

    @error_document.setter
    def error_document(self, value: str | None) -> None:
        _set(self._data, "error_document", value)

    @property
    def catchall_document(self) -> str | None:
        """The name of the document to use as the fallback for any requests to documents that are
        not found when serving this static site.
        """
        return _get_str(self._data, "catchall_document")

    @catchall_document.setter
    def catchall_document(self, value: str | None) -> None:
        _set(self._data, "catchall_document", value)

    @property
    def output_dir(self) -> str | None:
        """An optional path to where the built assets will be located, relative to the build
        context.
        """
        return _get_str(self._data, "output_dir")

    @output_dir.setter
    def output_dir(self, value: str | None) -> None:
        _set(self._data, "output_dir", value)

    @property
    def cors(self) -> AppsCorsPolicy | None:
        """(Deprecated - Use Ingress Rules instead)."""
        return _get_model(self._data, "cors", AppsCorsPolicy)

    @cors.setter
    def cors(self, value: AppsCorsPolicy | None) -> None:
        _set(self._data, "cors", value)

    @property
    def routes(self) -> list[AppRouteSpec] | None:
        """(Deprecated - Use Ingress Rules instead)."""
        return _get_models(self._data, "routes", AppRouteSpec)

    @routes.setter
    def routes(self, value: list[AppRouteSpec] | None) -> None:
        _set(self._data, "routes", value)


class AppVariableDefinition(Model):
    """Schema `app_variable_definition`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_variable_definition"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("key", "key"),
        ("scope", "scope"),
        ("type", "type"),
        ("value", "value"),
    )

    def _is_masked(self, key: str) -> bool:
        # Same rule as the Rust model: anything but an absent or GENERAL type is secret;
        # ciphertext (EV[...]) is shown as 'EV[…]' instead.
        if key != "value" or self._data.get("type", "GENERAL") == "GENERAL":
            return False
        value = self._data.get("value")
        return not (isinstance(value, str) and value.startswith(_CIPHERTEXT_PREFIX))

    @property
    def key(self) -> str | None:
        """The variable name"""
        return _get_str(self._data, "key")

    @key.setter
    def key(self, value: str | None) -> None:
        _set(self._data, "key", value)

    @property
    def scope(self) -> str | None:
        """- RUN_TIME: Made available only at run-time - BUILD_TIME: Made available only at
        build-time - RUN_AND_BUILD_TIME: Made available at both build and run-time
        """
        return _get_str(self._data, "scope")

    @scope.setter
    def scope(self, value: str | None) -> None:
        _set(self._data, "scope", value)

    @property
    def type(self) -> str | None:
        """- GENERAL: A plain-text environment variable - SECRET: A secret encrypted environment
        variable
        """
        return _get_str(self._data, "type")

    @type.setter
    def type(self, value: str | None) -> None:
        _set(self._data, "type", value)

    @property
    def value(self) -> str | None:
        """The value."""
        return _get_str(self._data, "value")

    @value.setter
    def value(self, value: str | None) -> None:
        _set(self._data, "value", value)


class AppWorkerSpec(Model):
    """Schema `app_worker_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_worker_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("git", "git"),
        ("github", "github"),
        ("gitlab", "gitlab"),
        ("bitbucket", "bitbucket"),
        ("image", "image"),
        ("dockerfile_path", "dockerfile_path"),
        ("build_command", "build_command"),
        ("run_command", "run_command"),
        ("source_dir", "source_dir"),
        ("envs", "envs"),
        ("environment_slug", "environment_slug"),
        ("log_destinations", "log_destinations"),
        ("instance_count", "instance_count"),
        ("instance_size_slug", "instance_size_slug"),
        ("autoscaling", "autoscaling"),
        ("termination", "termination"),
        ("liveness_health_check", "liveness_health_check"),
    )

    @property
    def name(self) -> str | None:
        """The name."""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def git(self) -> AppsGitSourceSpec | None:
        """``git``."""
        return _get_model(self._data, "git", AppsGitSourceSpec)

    @git.setter
    def git(self, value: AppsGitSourceSpec | None) -> None:
        _set(self._data, "git", value)

    @property
    def github(self) -> AppsGithubSourceSpec | None:
        """``github``."""
        return _get_model(self._data, "github", AppsGithubSourceSpec)

    @github.setter
    def github(self, value: AppsGithubSourceSpec | None) -> None:
        _set(self._data, "github", value)

    @property
    def gitlab(self) -> AppsGitlabSourceSpec | None:
        """``gitlab``."""
        return _get_model(self._data, "gitlab", AppsGitlabSourceSpec)

    @gitlab.setter
    def gitlab(self, value: AppsGitlabSourceSpec | None) -> None:
        _set(self._data, "gitlab", value)

    @property
    def bitbucket(self) -> AppsBitbucketSourceSpec | None:
        """``bitbucket``."""
        return _get_model(self._data, "bitbucket", AppsBitbucketSourceSpec)

    @bitbucket.setter
    def bitbucket(self, value: AppsBitbucketSourceSpec | None) -> None:
        _set(self._data, "bitbucket", value)

    @property
    def image(self) -> AppsImageSourceSpec | None:
        """``image``."""
        return _get_model(self._data, "image", AppsImageSourceSpec)

    @image.setter
    def image(self, value: AppsImageSourceSpec | None) -> None:
        _set(self._data, "image", value)

    @property
    def dockerfile_path(self) -> str | None:
        """The path to the Dockerfile relative to the root of the repo."""
        return _get_str(self._data, "dockerfile_path")

    @dockerfile_path.setter
    def dockerfile_path(self, value: str | None) -> None:
        _set(self._data, "dockerfile_path", value)

    @property
    def build_command(self) -> str | None:
        """An optional build command to run while building this component from source."""
        return _get_str(self._data, "build_command")

    @build_command.setter
    def build_command(self, value: str | None) -> None:
        _set(self._data, "build_command", value)

    @property
    def run_command(self) -> str | None:
        """An optional run command to override the component's default."""
        return _get_str(self._data, "run_command")

    @run_command.setter
    def run_command(self, value: str | None) -> None:
        _set(self._data, "run_command", value)

    @property
    def source_dir(self) -> str | None:
        """An optional path to the working directory to use for the build."""
        return _get_str(self._data, "source_dir")

    @source_dir.setter
    def source_dir(self, value: str | None) -> None:
        _set(self._data, "source_dir", value)

    @property
    def envs(self) -> list[AppVariableDefinition] | None:
        """A list of environment variables made available to the component."""
        return _get_models(self._data, "envs", AppVariableDefinition)

    @envs.setter
    def envs(self, value: list[AppVariableDefinition] | None) -> None:
        _set(self._data, "envs", value)

    @property
    def environment_slug(self) -> str | None:
        """An environment slug describing the type of this app."""
        return _get_str(self._data, "environment_slug")

    @environment_slug.setter
    def environment_slug(self, value: str | None) -> None:
        _set(self._data, "environment_slug", value)

    @property
    def log_destinations(self) -> list[AppLogDestinationDefinition] | None:
        """A list of configured log forwarding destinations."""
        return _get_models(self._data, "log_destinations", AppLogDestinationDefinition)

    @log_destinations.setter
    def log_destinations(self, value: list[AppLogDestinationDefinition] | None) -> None:
        _set(self._data, "log_destinations", value)

    @property
    def instance_count(self) -> int | None:
        """The amount of instances that this component should be scaled to."""
        return _get_int(self._data, "instance_count")

    @instance_count.setter
    def instance_count(self, value: int | None) -> None:
        _set(self._data, "instance_count", value)

    @property
    def instance_size_slug(self) -> str | None:
        """The instance size to use for this component."""
        return _get_str(self._data, "instance_size_slug")

    @instance_size_slug.setter
    def instance_size_slug(self, value: str | None) -> None:
        _set(self._data, "instance_size_slug", value)

    @property
    def autoscaling(self) -> AppAutoscalingSpec | None:
        """Configuration for automatically scaling this component based on metrics."""
        return _get_model(self._data, "autoscaling", AppAutoscalingSpec)

    @autoscaling.setter
    def autoscaling(self, value: AppAutoscalingSpec | None) -> None:
        _set(self._data, "autoscaling", value)

    @property
    def termination(self) -> AppWorkerSpecTermination | None:
        """``termination``."""
        return _get_model(self._data, "termination", AppWorkerSpecTermination)

    @termination.setter
    def termination(self, value: AppWorkerSpecTermination | None) -> None:
        _set(self._data, "termination", value)

    @property
    def liveness_health_check(self) -> AppHealthCheckSpec | None:
        """``liveness_health_check``."""
        return _get_model(self._data, "liveness_health_check", AppHealthCheckSpec)

    @liveness_health_check.setter
    def liveness_health_check(self, value: AppHealthCheckSpec | None) -> None:
        _set(self._data, "liveness_health_check", value)


class AppWorkerSpecTermination(Model):
    """Schema `app_worker_spec_termination`."""

    __slots__ = ()
    _schema: ClassVar[str] = "app_worker_spec_termination"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("grace_period_seconds", "grace_period_seconds"),
    )

    @property
    def grace_period_seconds(self) -> int | None:
        """The number of seconds to wait between sending a TERM signal to a container and issuing a
        KILL which causes immediate shutdown.
        """
        return _get_int(self._data, "grace_period_seconds")

    @grace_period_seconds.setter
    def grace_period_seconds(self, value: int | None) -> None:
        _set(self._data, "grace_period_seconds", value)


class AppsAlertResponse(Model):
    """Schema `apps_alert_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_alert_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("alert", "alert"),)

    @property
    def alert(self) -> AppAlert | None:
        """``alert``."""
        return _get_model(self._data, "alert", AppAlert)

    @alert.setter
    def alert(self, value: AppAlert | None) -> None:
        _set(self._data, "alert", value)


class AppsAssignAppAlertDestinationsRequest(Model):
    """Schema `apps_assign_app_alert_destinations_request`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_assign_app_alert_destinations_request"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("emails", "emails"),
        ("slack_webhooks", "slack_webhooks"),
    )

    @property
    def emails(self) -> list[str] | None:
        """``emails``."""
        return _get_strs(self._data, "emails")

    @emails.setter
    def emails(self, value: list[str] | None) -> None:
        _set(self._data, "emails", value)

    @property
    def slack_webhooks(self) -> list[AppAlertSlackWebhook] | None:
        """``slack_webhooks``."""
        return _get_models(self._data, "slack_webhooks", AppAlertSlackWebhook)

    @slack_webhooks.setter
    def slack_webhooks(self, value: list[AppAlertSlackWebhook] | None) -> None:
        _set(self._data, "slack_webhooks", value)


class AppsBitbucketSourceSpec(Model):
    """Schema `apps_bitbucket_source_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_bitbucket_source_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("branch", "branch"),
        ("deploy_on_push", "deploy_on_push"),
        ("repo", "repo"),
    )

    @property
    def branch(self) -> str | None:
        """The name of the branch to use"""
        return _get_str(self._data, "branch")

    @branch.setter
    def branch(self, value: str | None) -> None:
        _set(self._data, "branch", value)

    @property
    def deploy_on_push(self) -> bool | None:
        """Whether to automatically deploy new commits made to the repo"""
        return _get_bool(self._data, "deploy_on_push")

    @deploy_on_push.setter
    def deploy_on_push(self, value: bool | None) -> None:
        _set(self._data, "deploy_on_push", value)

    @property
    def repo(self) -> str | None:
        """The name of the repo in the format owner/repo."""
        return _get_str(self._data, "repo")

    @repo.setter
    def repo(self, value: str | None) -> None:
        _set(self._data, "repo", value)


class AppsCorsPolicy(Model):
    """Schema `apps_cors_policy`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_cors_policy"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("allow_origins", "allow_origins"),
        ("allow_methods", "allow_methods"),
        ("allow_headers", "allow_headers"),
        ("expose_headers", "expose_headers"),
        ("max_age", "max_age"),
        ("allow_credentials", "allow_credentials"),
    )

    @property
    def allow_origins(self) -> list[AppsStringMatch] | None:
        """The set of allowed CORS origins."""
        return _get_models(self._data, "allow_origins", AppsStringMatch)

    @allow_origins.setter
    def allow_origins(self, value: list[AppsStringMatch] | None) -> None:
        _set(self._data, "allow_origins", value)

    @property
    def allow_methods(self) -> list[str] | None:
        """The set of allowed HTTP methods."""
        return _get_strs(self._data, "allow_methods")

    @allow_methods.setter
    def allow_methods(self, value: list[str] | None) -> None:
        _set(self._data, "allow_methods", value)

    @property
    def allow_headers(self) -> list[str] | None:
        """The set of allowed HTTP request headers."""
        return _get_strs(self._data, "allow_headers")

    @allow_headers.setter
    def allow_headers(self, value: list[str] | None) -> None:
        _set(self._data, "allow_headers", value)

    @property
    def expose_headers(self) -> list[str] | None:
        """The set of HTTP response headers that browsers are allowed to access."""
        return _get_strs(self._data, "expose_headers")

    @expose_headers.setter
    def expose_headers(self, value: list[str] | None) -> None:
        _set(self._data, "expose_headers", value)

    @property
    def max_age(self) -> str | None:
        """An optional duration specifying how long browsers can cache the results of a preflight
        request.
        """
        return _get_str(self._data, "max_age")

    @max_age.setter
    def max_age(self, value: str | None) -> None:
        _set(self._data, "max_age", value)

    @property
    def allow_credentials(self) -> bool | None:
        """Whether browsers should expose the response to the client-side JavaScript code when the
        request's credentials mode is include.
        """
        return _get_bool(self._data, "allow_credentials")

    @allow_credentials.setter
    def allow_credentials(self, value: bool | None) -> None:
        _set(self._data, "allow_credentials", value)


class AppsCreateAppRequest(Model):
    """Schema `apps_create_app_request`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_create_app_request"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("spec", "spec"),
        ("project_id", "project_id"),
    )

    @property
    def spec(self) -> AppSpec | None:
        """The desired configuration of an application."""
        return _get_model(self._data, "spec", AppSpec)

    @spec.setter
    def spec(self, value: AppSpec | None) -> None:
        _set(self._data, "spec", value)

    @property
    def project_id(self) -> str | None:
        """The ID of the project the app should be assigned to."""
        return _get_str(self._data, "project_id")

    @project_id.setter
    def project_id(self, value: str | None) -> None:
        _set(self._data, "project_id", value)


class AppsCreateDeploymentRequest(Model):
    """Schema `apps_create_deployment_request`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_create_deployment_request"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("force_build", "force_build"),)

    @property
    def force_build(self) -> bool | None:
        """Indicates whether to force a build of app from source even if an existing cached build is
        suitable for re-use
        """
        return _get_bool(self._data, "force_build")

    @force_build.setter
    def force_build(self, value: bool | None) -> None:
        _set(self._data, "force_build", value)


class AppsDedicatedEgressIp(Model):
    """Schema `apps_dedicated_egress_ip`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_dedicated_egress_ip"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("ip", "ip"),
        ("id", "id"),
        ("status", "status"),
    )

    @property
    def ip(self) -> str | None:
        """The IP address of the dedicated egress IP."""
        return _get_str(self._data, "ip")

    @ip.setter
    def ip(self, value: str | None) -> None:
        _set(self._data, "ip", value)

    @property
    def id(self) -> str | None:
        """The ID of the dedicated egress IP."""
        return _get_str(self._data, "id")

    @id.setter
    def id(self, value: str | None) -> None:
        _set(self._data, "id", value)

    @property
    def status(self) -> str | None:
        """The status of the dedicated egress IP."""
        return _get_str(self._data, "status")

    @status.setter
    def status(self, value: str | None) -> None:
        _set(self._data, "status", value)


class AppsDeleteAppResponse(Model):
    """Schema `apps_delete_app_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_delete_app_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("id", "id"),)

    @property
    def id(self) -> str | None:
        """The ID of the app that was deleted"""
        return _get_str(self._data, "id")

    @id.setter
    def id(self, value: str | None) -> None:
        _set(self._data, "id", value)


class AppsDeployment(Model):
    """An app deployment Schema `apps_deployment`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployment"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("cause", "cause"),
        ("cloned_from", "cloned_from"),
        ("created_at", "created_at"),
        ("id", "id"),
        ("jobs", "jobs"),
        ("functions", "functions"),
        ("phase", "phase"),
        ("phase_last_updated_at", "phase_last_updated_at"),
        ("progress", "progress"),
        ("services", "services"),
        ("spec", "spec"),
        ("static_sites", "static_sites"),
        ("tier_slug", "tier_slug"),
        ("updated_at", "updated_at"),
        ("workers", "workers"),
    )

    @property
    def cause(self) -> str | None:
        """What caused this deployment to be created"""
        return _get_str(self._data, "cause")

    @cause.setter
    def cause(self, value: str | None) -> None:
        _set(self._data, "cause", value)

    @property
    def cloned_from(self) -> str | None:
        """The ID of a previous deployment that this deployment was cloned from"""
        return _get_str(self._data, "cloned_from")

    @cloned_from.setter
    def cloned_from(self, value: str | None) -> None:
        _set(self._data, "cloned_from", value)

    @property
    def created_at(self) -> str | None:
        """The creation time of the deployment"""
        return _get_str(self._data, "created_at")

    @created_at.setter
    def created_at(self, value: str | None) -> None:
        _set(self._data, "created_at", value)

    @property
    def id(self) -> str | None:
        """The ID of the deployment"""
        return _get_str(self._data, "id")

    @id.setter
    def id(self, value: str | None) -> None:
        _set(self._data, "id", value)

    @property
    def jobs(self) -> list[AppsDeploymentJob] | None:
        """Job components that are part of this deployment"""
        return _get_models(self._data, "jobs", AppsDeploymentJob)

    @jobs.setter
    def jobs(self, value: list[AppsDeploymentJob] | None) -> None:
        _set(self._data, "jobs", value)

    @property
    def functions(self) -> list[AppsDeploymentFunctions] | None:
        """Functions components that are part of this deployment"""
        return _get_models(self._data, "functions", AppsDeploymentFunctions)

    @functions.setter
    def functions(self, value: list[AppsDeploymentFunctions] | None) -> None:
        _set(self._data, "functions", value)

    @property
    def phase(self) -> str | None:
        """``phase``."""
        return _get_str(self._data, "phase")

    @phase.setter
    def phase(self, value: str | None) -> None:
        _set(self._data, "phase", value)

    @property
    def phase_last_updated_at(self) -> str | None:
        """When the deployment phase was last updated"""
        return _get_str(self._data, "phase_last_updated_at")

    @phase_last_updated_at.setter
    def phase_last_updated_at(self, value: str | None) -> None:
        _set(self._data, "phase_last_updated_at", value)

    @property
    def progress(self) -> AppsDeploymentProgress | None:
        """``progress``."""
        return _get_model(self._data, "progress", AppsDeploymentProgress)

    @progress.setter
    def progress(self, value: AppsDeploymentProgress | None) -> None:
        _set(self._data, "progress", value)

    @property
    def services(self) -> list[AppsDeploymentService] | None:
        """Service components that are part of this deployment"""
        return _get_models(self._data, "services", AppsDeploymentService)

    @services.setter
    def services(self, value: list[AppsDeploymentService] | None) -> None:
        _set(self._data, "services", value)

    @property
    def spec(self) -> AppSpec | None:
        """The desired configuration of an application."""
        return _get_model(self._data, "spec", AppSpec)

    @spec.setter
    def spec(self, value: AppSpec | None) -> None:
        _set(self._data, "spec", value)

    @property
    def static_sites(self) -> list[AppsDeploymentStaticSite] | None:
        """Static Site components that are part of this deployment"""
        return _get_models(self._data, "static_sites", AppsDeploymentStaticSite)

    @static_sites.setter
    def static_sites(self, value: list[AppsDeploymentStaticSite] | None) -> None:
        _set(self._data, "static_sites", value)

    @property
    def tier_slug(self) -> str | None:
        """The current pricing tier slug of the deployment"""
        return _get_str(self._data, "tier_slug")

    @tier_slug.setter
    def tier_slug(self, value: str | None) -> None:
        _set(self._data, "tier_slug", value)

    @property
    def updated_at(self) -> str | None:
        """When the deployment was last updated"""
        return _get_str(self._data, "updated_at")

    @updated_at.setter
    def updated_at(self, value: str | None) -> None:
        _set(self._data, "updated_at", value)

    @property
    def workers(self) -> list[AppsDeploymentWorker] | None:
        """Worker components that are part of this deployment"""
        return _get_models(self._data, "workers", AppsDeploymentWorker)

    @workers.setter
    def workers(self, value: list[AppsDeploymentWorker] | None) -> None:
        _set(self._data, "workers", value)


class AppsDeploymentFunctions(Model):
    """Schema `apps_deployment_functions`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployment_functions"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("source_commit_hash", "source_commit_hash"),
        ("namespace", "namespace"),
    )

    @property
    def name(self) -> str | None:
        """The name of this functions component"""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def source_commit_hash(self) -> str | None:
        """The commit hash of the repository that was used to build this functions component."""
        return _get_str(self._data, "source_commit_hash")

    @source_commit_hash.setter
    def source_commit_hash(self, value: str | None) -> None:
        _set(self._data, "source_commit_hash", value)

    @property
    def namespace(self) -> str | None:
        """The namespace where the functions are deployed."""
        return _get_str(self._data, "namespace")

    @namespace.setter
    def namespace(self, value: str | None) -> None:
        _set(self._data, "namespace", value)


class AppsDeploymentJob(Model):
    """Schema `apps_deployment_job`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployment_job"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("source_commit_hash", "source_commit_hash"),
    )

    @property
    def name(self) -> str | None:
        """The name of this job"""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def source_commit_hash(self) -> str | None:
        """The commit hash of the repository that was used to build this job"""
        return _get_str(self._data, "source_commit_hash")

    @source_commit_hash.setter
    def source_commit_hash(self, value: str | None) -> None:
        _set(self._data, "source_commit_hash", value)


class AppsDeploymentProgress(Model):
    """Schema `apps_deployment_progress`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployment_progress"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("error_steps", "error_steps"),
        ("pending_steps", "pending_steps"),
        ("running_steps", "running_steps"),
        ("steps", "steps"),
        ("success_steps", "success_steps"),
        ("summary_steps", "summary_steps"),
        ("total_steps", "total_steps"),
    )

    @property
    def error_steps(self) -> int | None:
        """Number of unsuccessful steps"""
        return _get_int(self._data, "error_steps")

    @error_steps.setter
    def error_steps(self, value: int | None) -> None:
        _set(self._data, "error_steps", value)

    @property
    def pending_steps(self) -> int | None:
        """Number of pending steps"""
        return _get_int(self._data, "pending_steps")

    @pending_steps.setter
    def pending_steps(self, value: int | None) -> None:
        _set(self._data, "pending_steps", value)

    @property
    def running_steps(self) -> int | None:
        """Number of currently running steps"""
        return _get_int(self._data, "running_steps")

    @running_steps.setter
    def running_steps(self, value: int | None) -> None:
        _set(self._data, "running_steps", value)

    @property
    def steps(self) -> list[AppsDeploymentProgressStep] | None:
        """The deployment's steps"""
        return _get_models(self._data, "steps", AppsDeploymentProgressStep)

    @steps.setter
    def steps(self, value: list[AppsDeploymentProgressStep] | None) -> None:
        _set(self._data, "steps", value)

    @property
    def success_steps(self) -> int | None:
        """Number of successful steps"""
        return _get_int(self._data, "success_steps")

    @success_steps.setter
    def success_steps(self, value: int | None) -> None:
        _set(self._data, "success_steps", value)

    @property
    def summary_steps(self) -> list[AppsDeploymentProgressStep] | None:
        """A flattened summary of the steps"""
        return _get_models(self._data, "summary_steps", AppsDeploymentProgressStep)

    @summary_steps.setter
    def summary_steps(self, value: list[AppsDeploymentProgressStep] | None) -> None:
        _set(self._data, "summary_steps", value)

    @property
    def total_steps(self) -> int | None:
        """Total number of steps"""
        return _get_int(self._data, "total_steps")

    @total_steps.setter
    def total_steps(self, value: int | None) -> None:
        _set(self._data, "total_steps", value)


class AppsDeploymentProgressStep(Model):
    """A step that is run as part of the deployment's lifecycle Schema
    `apps_deployment_progress_step`.
    """

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployment_progress_step"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("component_name", "component_name"),
        ("ended_at", "ended_at"),
        ("message_base", "message_base"),
        ("name", "name"),
        ("reason", "reason"),
        ("started_at", "started_at"),
        ("status", "status"),
        ("steps", "steps"),
    )

    @property
    def component_name(self) -> str | None:
        """The component name that this step is associated with"""
        return _get_str(self._data, "component_name")

    @component_name.setter
    def component_name(self, value: str | None) -> None:
        _set(self._data, "component_name", value)

    @property
    def ended_at(self) -> str | None:
        """The end time of this step"""
        return _get_str(self._data, "ended_at")

    @ended_at.setter
    def ended_at(self, value: str | None) -> None:
        _set(self._data, "ended_at", value)

    @property
    def message_base(self) -> str | None:
        """The base of a human-readable description of the step intended to be combined with the
        component name for presentation.
        """
        return _get_str(self._data, "message_base")

    @message_base.setter
    def message_base(self, value: str | None) -> None:
        _set(self._data, "message_base", value)

    @property
    def name(self) -> str | None:
        """The name of this step"""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def reason(self) -> AppsDeploymentProgressStepReason | None:
        """``reason``."""
        return _get_model(self._data, "reason", AppsDeploymentProgressStepReason)

    @reason.setter
    def reason(self, value: AppsDeploymentProgressStepReason | None) -> None:
        _set(self._data, "reason", value)

    @property
    def started_at(self) -> str | None:
        """The start time of this step"""
        return _get_str(self._data, "started_at")

    @started_at.setter
    def started_at(self, value: str | None) -> None:
        _set(self._data, "started_at", value)

    @property
    def status(self) -> str | None:
        """``status``."""
        return _get_str(self._data, "status")

    @status.setter
    def status(self, value: str | None) -> None:
        _set(self._data, "status", value)

    @property
    def steps(self) -> list[Any] | None:
        """Child steps of this step"""
        return _get_list(self._data, "steps")

    @steps.setter
    def steps(self, value: list[Any] | None) -> None:
        _set(self._data, "steps", value)


class AppsDeploymentProgressStepReason(Model):
    """Schema `apps_deployment_progress_step_reason`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployment_progress_step_reason"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("code", "code"), ("message", "message"))

    @property
    def code(self) -> str | None:
        """The error code"""
        return _get_str(self._data, "code")

    @code.setter
    def code(self, value: str | None) -> None:
        _set(self._data, "code", value)

    @property
    def message(self) -> str | None:
        """The error message"""
        return _get_str(self._data, "message")

    @message.setter
    def message(self, value: str | None) -> None:
        _set(self._data, "message", value)


class AppsDeploymentResponse(Model):
    """Schema `apps_deployment_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployment_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("deployment", "deployment"),)

    @property
    def deployment(self) -> AppsDeployment | None:
        """An app deployment"""
        return _get_model(self._data, "deployment", AppsDeployment)

    @deployment.setter
    def deployment(self, value: AppsDeployment | None) -> None:
        _set(self._data, "deployment", value)


class AppsDeploymentService(Model):
    """Schema `apps_deployment_service`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployment_service"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("source_commit_hash", "source_commit_hash"),
    )

    @property
    def name(self) -> str | None:
        """The name of this service"""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def source_commit_hash(self) -> str | None:
        """The commit hash of the repository that was used to build this service"""
        return _get_str(self._data, "source_commit_hash")

    @source_commit_hash.setter
    def source_commit_hash(self, value: str | None) -> None:
        _set(self._data, "source_commit_hash", value)


class AppsDeploymentStaticSite(Model):
    """Schema `apps_deployment_static_site`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployment_static_site"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("source_commit_hash", "source_commit_hash"),
    )

    @property
    def name(self) -> str | None:
        """The name of this static site"""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def source_commit_hash(self) -> str | None:
        """The commit hash of the repository that was used to build this static site"""
        return _get_str(self._data, "source_commit_hash")

    @source_commit_hash.setter
    def source_commit_hash(self, value: str | None) -> None:
        _set(self._data, "source_commit_hash", value)


class AppsDeploymentWorker(Model):
    """Schema `apps_deployment_worker`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployment_worker"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "name"),
        ("source_commit_hash", "source_commit_hash"),
    )

    @property
    def name(self) -> str | None:
        """The name of this worker"""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def source_commit_hash(self) -> str | None:
        """The commit hash of the repository that was used to build this worker"""
        return _get_str(self._data, "source_commit_hash")

    @source_commit_hash.setter
    def source_commit_hash(self, value: str | None) -> None:
        _set(self._data, "source_commit_hash", value)


class AppsDeploymentsResponse(Model):
    """Schema `apps_deployments_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_deployments_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("deployments", "deployments"),
        ("links", "links"),
        ("meta", "meta"),
    )

    @property
    def deployments(self) -> list[AppsDeployment] | None:
        """A list of deployments"""
        return _get_models(self._data, "deployments", AppsDeployment)

    @deployments.setter
    def deployments(self, value: list[AppsDeployment] | None) -> None:
        _set(self._data, "deployments", value)

    @property
    def links(self) -> PageLinks | None:
        """``links``."""
        return _get_model(self._data, "links", PageLinks)

    @links.setter
    def links(self, value: PageLinks | None) -> None:
        _set(self._data, "links", value)

    @property
    def meta(self) -> MetaProperties | None:
        """``meta``."""
        return _get_model(self._data, "meta", MetaProperties)

    @meta.setter
    def meta(self, value: MetaProperties | None) -> None:
        _set(self._data, "meta", value)


class AppsDomain(Model):
    """Schema `apps_domain`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_domain"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("id", "id"),
        ("phase", "phase"),
        ("progress", "progress"),
        ("spec", "spec"),
        ("validations", "validations"),
        ("rotate_validation_records", "rotate_validation_records"),
        ("certificate_expires_at", "certificate_expires_at"),
    )

    @property
    def id(self) -> str | None:
        """The ID of the domain"""
        return _get_str(self._data, "id")

    @id.setter
    def id(self, value: str | None) -> None:
        _set(self._data, "id", value)

    @property
    def phase(self) -> str | None:
        """``phase``."""
        return _get_str(self._data, "phase")

    @phase.setter
    def phase(self, value: str | None) -> None:
        _set(self._data, "phase", value)

    @property
    def progress(self) -> AppsDomainProgress | None:
        """``progress``."""
        return _get_model(self._data, "progress", AppsDomainProgress)

    @progress.setter
    def progress(self, value: AppsDomainProgress | None) -> None:
        _set(self._data, "progress", value)

    @property
    def spec(self) -> AppDomainSpec | None:
        """``spec``."""
        return _get_model(self._data, "spec", AppDomainSpec)

    @spec.setter
    def spec(self, value: AppDomainSpec | None) -> None:
        _set(self._data, "spec", value)

    @property
    def validations(self) -> list[AppDomainValidation] | None:
        """List of TXT validation records"""
        return _get_models(self._data, "validations", AppDomainValidation)

    @validations.setter
    def validations(self, value: list[AppDomainValidation] | None) -> None:
        _set(self._data, "validations", value)

    @property
    def rotate_validation_records(self) -> bool | None:
        """Validation values have changed and require manual intervention"""
        return _get_bool(self._data, "rotate_validation_records")

    @rotate_validation_records.setter
    def rotate_validation_records(self, value: bool | None) -> None:
        _set(self._data, "rotate_validation_records", value)

    @property
    def certificate_expires_at(self) -> str | None:
        """Current SSL certificate expiration time"""
        return _get_str(self._data, "certificate_expires_at")

    @certificate_expires_at.setter
    def certificate_expires_at(self, value: str | None) -> None:
        _set(self._data, "certificate_expires_at", value)


class AppsDomainProgress(Model):
    """Schema `apps_domain_progress`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_domain_progress"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("steps", "steps"),)

    @property
    def steps(self) -> list[Any] | None:
        """The steps of the domain's progress"""
        return _get_list(self._data, "steps")

    @steps.setter
    def steps(self, value: list[Any] | None) -> None:
        _set(self._data, "steps", value)


class AppsGetExecResponse(Model):
    """Schema `apps_get_exec_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_get_exec_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("url", "url"),)
    _secrets: ClassVar[frozenset[str]] = frozenset({"url"})

    @property
    def url(self) -> str | None:
        """A websocket URL that allows sending/receiving console input and receiving console output.
        """
        return _get_str(self._data, "url")

    @url.setter
    def url(self, value: str | None) -> None:
        _set(self._data, "url", value)


class AppsGetInstanceSizeResponse(Model):
    """Schema `apps_get_instance_size_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_get_instance_size_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("instance_size", "instance_size"),)

    @property
    def instance_size(self) -> AppsInstanceSize | None:
        """``instance_size``."""
        return _get_model(self._data, "instance_size", AppsInstanceSize)

    @instance_size.setter
    def instance_size(self, value: AppsInstanceSize | None) -> None:
        _set(self._data, "instance_size", value)


class AppsGetLogsResponse(Model):
    """Schema `apps_get_logs_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_get_logs_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("historic_urls", "historic_urls"),
        ("live_url", "live_url"),
    )
    _secrets: ClassVar[frozenset[str]] = frozenset({"live_url", "historic_urls"})

    @property
    def historic_urls(self) -> list[str] | None:
        """A list of URLs to archived log files"""
        return _get_strs(self._data, "historic_urls")

    @historic_urls.setter
    def historic_urls(self, value: list[str] | None) -> None:
        _set(self._data, "historic_urls", value)

    @property
    def live_url(self) -> str | None:
        """A URL of the real-time live logs."""
        return _get_str(self._data, "live_url")

    @live_url.setter
    def live_url(self, value: str | None) -> None:
        _set(self._data, "live_url", value)


class AppsGitSourceSpec(Model):
    """Schema `apps_git_source_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_git_source_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("branch", "branch"),
        ("repo_clone_url", "repo_clone_url"),
    )

    @property
    def branch(self) -> str | None:
        """The name of the branch to use"""
        return _get_str(self._data, "branch")

    @branch.setter
    def branch(self, value: str | None) -> None:
        _set(self._data, "branch", value)

    @property
    def repo_clone_url(self) -> str | None:
        """The clone URL of the repo."""
        return _get_str(self._data, "repo_clone_url")

    @repo_clone_url.setter
    def repo_clone_url(self, value: str | None) -> None:
        _set(self._data, "repo_clone_url", value)


class AppsGithubSourceSpec(Model):
    """Schema `apps_github_source_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_github_source_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("branch", "branch"),
        ("deploy_on_push", "deploy_on_push"),
        ("repo", "repo"),
    )

    @property
    def branch(self) -> str | None:
        """The name of the branch to use"""
        return _get_str(self._data, "branch")

    @branch.setter
    def branch(self, value: str | None) -> None:
        _set(self._data, "branch", value)

    @property
    def deploy_on_push(self) -> bool | None:
        """Whether to automatically deploy new commits made to the repo"""
        return _get_bool(self._data, "deploy_on_push")

    @deploy_on_push.setter
    def deploy_on_push(self, value: bool | None) -> None:
        _set(self._data, "deploy_on_push", value)

    @property
    def repo(self) -> str | None:
        """The name of the repo in the format owner/repo."""
        return _get_str(self._data, "repo")

    @repo.setter
    def repo(self, value: str | None) -> None:
        _set(self._data, "repo", value)


class AppsGitlabSourceSpec(Model):
    """Schema `apps_gitlab_source_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_gitlab_source_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("branch", "branch"),
        ("deploy_on_push", "deploy_on_push"),
        ("repo", "repo"),
    )

    @property
    def branch(self) -> str | None:
        """The name of the branch to use"""
        return _get_str(self._data, "branch")

    @branch.setter
    def branch(self, value: str | None) -> None:
        _set(self._data, "branch", value)

    @property
    def deploy_on_push(self) -> bool | None:
        """Whether to automatically deploy new commits made to the repo"""
        return _get_bool(self._data, "deploy_on_push")

    @deploy_on_push.setter
    def deploy_on_push(self, value: bool | None) -> None:
        _set(self._data, "deploy_on_push", value)

    @property
    def repo(self) -> str | None:
        """The name of the repo in the format owner/repo."""
        return _get_str(self._data, "repo")

    @repo.setter
    def repo(self, value: str | None) -> None:
        _set(self._data, "repo", value)


class AppsImageSourceSpec(Model):
    """Schema `apps_image_source_spec`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_image_source_spec"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("registry", "registry"),
        ("registry_type", "registry_type"),
        ("registry_credentials", "registry_credentials"),
        ("repository", "repository"),
        ("tag", "tag"),
        ("digest", "digest"),
        ("deploy_on_push", "deploy_on_push"),
    )
    _secrets: ClassVar[frozenset[str]] = frozenset({"registry_credentials"})

    @property
    def registry(self) -> str | None:
        """The registry name."""
        return _get_str(self._data, "registry")

    @registry.setter
    def registry(self, value: str | None) -> None:
        _set(self._data, "registry", value)

    @property
    def registry_type(self) -> str | None:
        """- DOCKER_HUB: The DockerHub container registry type. - DOCR: The DigitalOcean container
        registry type. - GHCR: The Github container registry type.
        """
        return _get_str(self._data, "registry_type")

    @registry_type.setter
    def registry_type(self, value: str | None) -> None:
        _set(self._data, "registry_type", value)

    @property
    def registry_credentials(self) -> str | None:
        """The credentials to be able to pull the image."""
        return _get_str(self._data, "registry_credentials")

    @registry_credentials.setter
    def registry_credentials(self, value: str | None) -> None:
        _set(self._data, "registry_credentials", value)

    @property
    def repository(self) -> str | None:
        """The repository name."""
        return _get_str(self._data, "repository")

    @repository.setter
    def repository(self, value: str | None) -> None:
        _set(self._data, "repository", value)

    @property
    def tag(self) -> str | None:
        """The repository tag."""
        return _get_str(self._data, "tag")

    @tag.setter
    def tag(self, value: str | None) -> None:
        _set(self._data, "tag", value)

    @property
    def digest(self) -> str | None:
        """The image digest."""
        return _get_str(self._data, "digest")

    @digest.setter
    def digest(self, value: str | None) -> None:
        _set(self._data, "digest", value)

    @property
    def deploy_on_push(self) -> AppsImageSourceSpecDeployOnPush | None:
        """``deploy_on_push``."""
        return _get_model(self._data, "deploy_on_push", AppsImageSourceSpecDeployOnPush)

    @deploy_on_push.setter
    def deploy_on_push(self, value: AppsImageSourceSpecDeployOnPush | None) -> None:
        _set(self._data, "deploy_on_push", value)


class AppsImageSourceSpecDeployOnPush(Model):
    """Inline schema `apps_image_source_spec.deploy_on_push`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_image_source_spec.deploy_on_push"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("enabled", "enabled"),)

    @property
    def enabled(self) -> bool | None:
        """Whether to automatically deploy new images."""
        return _get_bool(self._data, "enabled")

    @enabled.setter
    def enabled(self, value: bool | None) -> None:
        _set(self._data, "enabled", value)


class AppsInstanceSize(Model):
    """Schema `apps_instance_size`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_instance_size"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("bandwidth_allowance_gib", "bandwidth_allowance_gib"),
        ("cpu_type", "cpu_type"),
        ("cpus", "cpus"),
        ("deprecation_intent", "deprecation_intent"),
        ("memory_bytes", "memory_bytes"),
        ("name", "name"),
        ("scalable", "scalable"),
        ("single_instance_only", "single_instance_only"),
        ("slug", "slug"),
        ("tier_downgrade_to", "tier_downgrade_to"),
        ("tier_slug", "tier_slug"),
        ("tier_upgrade_to", "tier_upgrade_to"),
        ("usd_per_month", "usd_per_month"),
        ("usd_per_second", "usd_per_second"),
    )

    @property
    def bandwidth_allowance_gib(self) -> str | None:
        """The bandwidth allowance in GiB for the instance size"""
        return _get_str(self._data, "bandwidth_allowance_gib")

    @bandwidth_allowance_gib.setter
    def bandwidth_allowance_gib(self, value: str | None) -> None:
        _set(self._data, "bandwidth_allowance_gib", value)

    @property
    def cpu_type(self) -> str | None:
        """- SHARED: Shared vCPU cores - DEDICATED: Dedicated vCPU cores"""
        return _get_str(self._data, "cpu_type")

    @cpu_type.setter
    def cpu_type(self, value: str | None) -> None:
        _set(self._data, "cpu_type", value)

    @property
    def cpus(self) -> str | None:
        """The number of allotted vCPU cores"""
        return _get_str(self._data, "cpus")

    @cpus.setter
    def cpus(self, value: str | None) -> None:
        _set(self._data, "cpus", value)

    @property
    def deprecation_intent(self) -> bool | None:
        """Indicates if the instance size is intended for deprecation"""
        return _get_bool(self._data, "deprecation_intent")

    @deprecation_intent.setter
    def deprecation_intent(self, value: bool | None) -> None:
        _set(self._data, "deprecation_intent", value)

    @property
    def memory_bytes(self) -> str | None:
        """The allotted memory in bytes"""
        return _get_str(self._data, "memory_bytes")

    @memory_bytes.setter
    def memory_bytes(self, value: str | None) -> None:
        _set(self._data, "memory_bytes", value)

    @property
    def name(self) -> str | None:
        """A human-readable name of the instance size"""
        return _get_str(self._data, "name")

    @name.setter
    def name(self, value: str | None) -> None:
        _set(self._data, "name", value)

    @property
    def scalable(self) -> bool | None:
        """Indicates if the instance size can enable autoscaling"""
        return _get_bool(self._data, "scalable")

    @scalable.setter
    def scalable(self, value: bool | None) -> None:
        _set(self._data, "scalable", value)

    @property
    def single_instance_only(self) -> bool | None:
        """Indicates if the instance size allows more than one instance"""
        return _get_bool(self._data, "single_instance_only")

    @single_instance_only.setter
    def single_instance_only(self, value: bool | None) -> None:
        _set(self._data, "single_instance_only", value)

    @property
    def slug(self) -> str | None:
        """The slug of the instance size"""
        return _get_str(self._data, "slug")

    @slug.setter
    def slug(self, value: str | None) -> None:
        _set(self._data, "slug", value)

    @property
    def tier_downgrade_to(self) -> str | None:
        """The slug of the corresponding downgradable instance size on the lower tier"""
        return _get_str(self._data, "tier_downgrade_to")

    @tier_downgrade_to.setter
    def tier_downgrade_to(self, value: str | None) -> None:
        _set(self._data, "tier_downgrade_to", value)

    @property
    def tier_slug(self) -> str | None:
        """The slug of the tier to which this instance size belongs"""
        return _get_str(self._data, "tier_slug")

    @tier_slug.setter
    def tier_slug(self, value: str | None) -> None:
        _set(self._data, "tier_slug", value)

    @property
    def tier_upgrade_to(self) -> str | None:
        """The slug of the corresponding upgradable instance size on the higher tier"""
        return _get_str(self._data, "tier_upgrade_to")

    @tier_upgrade_to.setter
    def tier_upgrade_to(self, value: str | None) -> None:
        _set(self._data, "tier_upgrade_to", value)

    @property
    def usd_per_month(self) -> str | None:
        """The cost of this instance size in USD per month"""
        return _get_str(self._data, "usd_per_month")

    @usd_per_month.setter
    def usd_per_month(self, value: str | None) -> None:
        _set(self._data, "usd_per_month", value)

    @property
    def usd_per_second(self) -> str | None:
        """The cost of this instance size in USD per second"""
        return _get_str(self._data, "usd_per_second")

    @usd_per_second.setter
    def usd_per_second(self, value: str | None) -> None:
        _set(self._data, "usd_per_second", value)


class AppsListAlertsResponse(Model):
    """Schema `apps_list_alerts_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_list_alerts_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("alerts", "alerts"),)

    @property
    def alerts(self) -> list[AppAlert] | None:
        """``alerts``."""
        return _get_models(self._data, "alerts", AppAlert)

    @alerts.setter
    def alerts(self, value: list[AppAlert] | None) -> None:
        _set(self._data, "alerts", value)


class AppsListInstanceSizesResponse(Model):
    """Schema `apps_list_instance_sizes_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_list_instance_sizes_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("discount_percent", "discount_percent"),
        ("instance_sizes", "instance_sizes"),
    )

    @property
    def discount_percent(self) -> float | None:
        """``discount_percent``."""
        return _get_float(self._data, "discount_percent")

    @discount_percent.setter
    def discount_percent(self, value: float | None) -> None:
        _set(self._data, "discount_percent", value)

    @property
    def instance_sizes(self) -> list[AppsInstanceSize] | None:
        """``instance_sizes``."""
        return _get_models(self._data, "instance_sizes", AppsInstanceSize)

    @instance_sizes.setter
    def instance_sizes(self, value: list[AppsInstanceSize] | None) -> None:
        _set(self._data, "instance_sizes", value)


class AppsListRegionsResponse(Model):
    """Schema `apps_list_regions_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_list_regions_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("regions", "regions"),)

    @property
    def regions(self) -> list[AppsRegion] | None:
        """``regions``."""
        return _get_models(self._data, "regions", AppsRegion)

    @regions.setter
    def regions(self, value: list[AppsRegion] | None) -> None:
        _set(self._data, "regions", value)


class AppsRegion(Model):
    """Geographical information about an app origin Schema `apps_region`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_region"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("continent", "continent"),
        ("data_centers", "data_centers"),
        ("default", "default"),
        ("disabled", "disabled"),
        ("flag", "flag"),
        ("label", "label"),
        ("reason", "reason"),
        ("slug", "slug"),
    )

    @property
    def continent(self) -> str | None:
        """The continent that this region is in"""
        return _get_str(self._data, "continent")

    @continent.setter
    def continent(self, value: str | None) -> None:
        _set(self._data, "continent", value)

    @property
    def data_centers(self) -> list[str] | None:
        """Data centers that are in this region"""
        return _get_strs(self._data, "data_centers")

    @data_centers.setter
    def data_centers(self, value: list[str] | None) -> None:
        _set(self._data, "data_centers", value)

    @property
    def default(self) -> bool | None:
        """Whether or not the region is presented as the default."""
        return _get_bool(self._data, "default")

    @default.setter
    def default(self, value: bool | None) -> None:
        _set(self._data, "default", value)

    @property
    def disabled(self) -> bool | None:
        """Whether or not the region is open for new apps"""
        return _get_bool(self._data, "disabled")

    @disabled.setter
    def disabled(self, value: bool | None) -> None:
        _set(self._data, "disabled", value)

    @property
    def flag(self) -> str | None:
        """The flag of this region"""
        return _get_str(self._data, "flag")

    @flag.setter
    def flag(self, value: str | None) -> None:
        _set(self._data, "flag", value)

    @property
    def label(self) -> str | None:
        """A human-readable name of the region"""
        return _get_str(self._data, "label")

    @label.setter
    def label(self, value: str | None) -> None:
        _set(self._data, "label", value)

    @property
    def reason(self) -> str | None:
        """Reason that this region is not available"""
        return _get_str(self._data, "reason")

    @reason.setter
    def reason(self, value: str | None) -> None:
        _set(self._data, "reason", value)

    @property
    def slug(self) -> str | None:
        """The slug form of the region name"""
        return _get_str(self._data, "slug")

    @slug.setter
    def slug(self, value: str | None) -> None:
        _set(self._data, "slug", value)


class AppsResponse(Model):
    """Schema `apps_response`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_response"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("apps", "apps"),
        ("links", "links"),
        ("meta", "meta"),
    )

    @property
    def apps(self) -> list[App] | None:
        """A list of apps"""
        return _get_models(self._data, "apps", App)

    @apps.setter
    def apps(self, value: list[App] | None) -> None:
        _set(self._data, "apps", value)

    @property
    def links(self) -> PageLinks | None:
        """``links``."""
        return _get_model(self._data, "links", PageLinks)

    @links.setter
    def links(self, value: PageLinks | None) -> None:
        _set(self._data, "links", value)

    @property
    def meta(self) -> MetaProperties | None:
        """``meta``."""
        return _get_model(self._data, "meta", MetaProperties)

    @meta.setter
    def meta(self, value: MetaProperties | None) -> None:
        _set(self._data, "meta", value)


class AppsRestartRequest(Model):
    """Schema `apps_restart_request`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_restart_request"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("components", "components"),)

    @property
    def components(self) -> list[str] | None:
        """Optional list of components to restart."""
        return _get_strs(self._data, "components")

    @components.setter
    def components(self, value: list[str] | None) -> None:
        _set(self._data, "components", value)


class AppsRollbackAppRequest(Model):
    """Schema `apps_rollback_app_request`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_rollback_app_request"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("deployment_id", "deployment_id"),
        ("skip_pin", "skip_pin"),
    )

    @property
    def deployment_id(self) -> str | None:
        """The ID of the deployment to rollback to."""
        return _get_str(self._data, "deployment_id")

    @deployment_id.setter
    def deployment_id(self, value: str | None) -> None:
        _set(self._data, "deployment_id", value)

    @property
    def skip_pin(self) -> bool | None:
        """Whether to skip pinning the rollback deployment."""
        return _get_bool(self._data, "skip_pin")

    @skip_pin.setter
    def skip_pin(self, value: bool | None) -> None:
        _set(self._data, "skip_pin", value)


class AppsStringMatch(Model):
    """Schema `apps_string_match`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_string_match"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("exact", "exact"),
        ("prefix", "prefix"),
        ("regex", "regex"),
    )

    @property
    def exact(self) -> str | None:
        """Exact string match."""
        return _get_str(self._data, "exact")

    @exact.setter
    def exact(self, value: str | None) -> None:
        _set(self._data, "exact", value)

    @property
    def prefix(self) -> str | None:
        """Prefix-based match."""
        return _get_str(self._data, "prefix")

    @prefix.setter
    def prefix(self, value: str | None) -> None:
        _set(self._data, "prefix", value)

    @property
    def regex(self) -> str | None:
        """RE2 style regex-based match."""
        return _get_str(self._data, "regex")

    @regex.setter
    def regex(self, value: str | None) -> None:
        _set(self._data, "regex", value)


class AppsUpdateAppRequest(Model):
    """Schema `apps_update_app_request`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_update_app_request"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("spec", "spec"),
        ("update_all_source_versions", "update_all_source_versions"),
    )

    @property
    def spec(self) -> AppSpec | None:
        """The desired configuration of an application."""
        return _get_model(self._data, "spec", AppSpec)

    @spec.setter
    def spec(self, value: AppSpec | None) -> None:
        _set(self._data, "spec", value)

    @property
    def update_all_source_versions(self) -> bool | None:
        """Whether or not to update the source versions (for example fetching a new commit or image
        digest) of all components.
        """
        return _get_bool(self._data, "update_all_source_versions")

    @update_all_source_versions.setter
    def update_all_source_versions(self, value: bool | None) -> None:
        _set(self._data, "update_all_source_versions", value)


class AppsVpc(Model):
    """Schema `apps_vpc`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_vpc"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("id", "id"), ("egress_ips", "egress_ips"))

    @property
    def id(self) -> str | None:
        """The ID of the VPC."""
        return _get_str(self._data, "id")

    @id.setter
    def id(self, value: str | None) -> None:
        _set(self._data, "id", value)

    @property
    def egress_ips(self) -> list[AppsVpcEgressIp] | None:
        """The egress ips associated with the VPC."""
        return _get_models(self._data, "egress_ips", AppsVpcEgressIp)

    @egress_ips.setter
    def egress_ips(self, value: list[AppsVpcEgressIp] | None) -> None:
        _set(self._data, "egress_ips", value)


class AppsVpcEgressIp(Model):
    """Schema `apps_vpc_egress_ip`."""

    __slots__ = ()
    _schema: ClassVar[str] = "apps_vpc_egress_ip"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("ip", "ip"),)

    @property
    def ip(self) -> str | None:
        """``ip``."""
        return _get_str(self._data, "ip")

    @ip.setter
    def ip(self, value: str | None) -> None:
        _set(self._data, "ip", value)


class BackwardLinks(Model):
    """Schema `backward_links`."""

    __slots__ = ()
    _schema: ClassVar[str] = "backward_links"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("first", "first"), ("prev", "prev"))

    @property
    def first(self) -> str | None:
        """URI of the first page of the results."""
        return _get_str(self._data, "first")

    @first.setter
    def first(self, value: str | None) -> None:
        _set(self._data, "first", value)

    @property
    def prev(self) -> str | None:
        """URI of the previous page of the results."""
        return _get_str(self._data, "prev")

    @prev.setter
    def prev(self, value: str | None) -> None:
        _set(self._data, "prev", value)


class Error(Model):
    """Schema `error`."""

    __slots__ = ()
    _schema: ClassVar[str] = "error"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("id", "id"),
        ("message", "message"),
        ("request_id", "request_id"),
    )

    @property
    def id(self) -> str | None:
        """A short identifier corresponding to the HTTP status code returned."""
        return _get_str(self._data, "id")

    @id.setter
    def id(self, value: str | None) -> None:
        _set(self._data, "id", value)

    @property
    def message(self) -> str | None:
        """A message providing additional information about the error, including details to help
        resolve it when possible.
        """
        return _get_str(self._data, "message")

    @message.setter
    def message(self, value: str | None) -> None:
        _set(self._data, "message", value)

    @property
    def request_id(self) -> str | None:
        """Optionally, some endpoints may include a request ID that should be provided when
        reporting bugs or opening support tickets to help identify the issue.
        """
        return _get_str(self._data, "request_id")

    @request_id.setter
    def request_id(self, value: str | None) -> None:
        _set(self._data, "request_id", value)


class ForwardLinks(Model):
    """Schema `forward_links`."""

    __slots__ = ()
    _schema: ClassVar[str] = "forward_links"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("last", "last"), ("next", "next"))

    @property
    def last(self) -> str | None:
        """URI of the last page of the results."""
        return _get_str(self._data, "last")

    @last.setter
    def last(self, value: str | None) -> None:
        _set(self._data, "last", value)

    @property
    def next(self) -> str | None:
        """URI of the next page of the results."""
        return _get_str(self._data, "next")

    @next.setter
    def next(self, value: str | None) -> None:
        _set(self._data, "next", value)


class LinkToFirstPage(Model):
    """Schema `link_to_first_page`."""

    __slots__ = ()
    _schema: ClassVar[str] = "link_to_first_page"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("first", "first"),)

    @property
    def first(self) -> str | None:
        """URI of the first page of the results."""
        return _get_str(self._data, "first")

    @first.setter
    def first(self, value: str | None) -> None:
        _set(self._data, "first", value)


class LinkToLastPage(Model):
    """Schema `link_to_last_page`."""

    __slots__ = ()
    _schema: ClassVar[str] = "link_to_last_page"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("last", "last"),)

    @property
    def last(self) -> str | None:
        """URI of the last page of the results."""
        return _get_str(self._data, "last")

    @last.setter
    def last(self, value: str | None) -> None:
        _set(self._data, "last", value)


class LinkToNextPage(Model):
    """Schema `link_to_next_page`."""

    __slots__ = ()
    _schema: ClassVar[str] = "link_to_next_page"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("next", "next"),)

    @property
    def next(self) -> str | None:
        """URI of the next page of the results."""
        return _get_str(self._data, "next")

    @next.setter
    def next(self, value: str | None) -> None:
        _set(self._data, "next", value)


class LinkToPrevPage(Model):
    """Schema `link_to_prev_page`."""

    __slots__ = ()
    _schema: ClassVar[str] = "link_to_prev_page"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("prev", "prev"),)

    @property
    def prev(self) -> str | None:
        """URI of the previous page of the results."""
        return _get_str(self._data, "prev")

    @prev.setter
    def prev(self, value: str | None) -> None:
        _set(self._data, "prev", value)


class Meta(Model):
    """Schema `meta`."""

    __slots__ = ()
    _schema: ClassVar[str] = "meta"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("meta", "meta"),)

    @property
    def meta(self) -> MetaProperties | None:
        """``meta``."""
        return _get_model(self._data, "meta", MetaProperties)

    @meta.setter
    def meta(self, value: MetaProperties | None) -> None:
        _set(self._data, "meta", value)


class MetaProperties(Model):
    """Information about the response itself. Schema `meta_properties`."""

    __slots__ = ()
    _schema: ClassVar[str] = "meta_properties"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("total", "total"),)

    @property
    def total(self) -> int | None:
        """Number of objects returned by the request."""
        return _get_int(self._data, "total")

    @total.setter
    def total(self, value: int | None) -> None:
        _set(self._data, "total", value)


class PageLinks(Model):
    """Schema `page_links`."""

    __slots__ = ()
    _schema: ClassVar[str] = "page_links"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("pages", "pages"),)

    @property
    def pages(self) -> PageLinksPages | None:
        """``pages``."""
        return _get_model(self._data, "pages", PageLinksPages)

    @pages.setter
    def pages(self, value: PageLinksPages | None) -> None:
        _set(self._data, "pages", value)


class PageLinksPages(Model):
    """Inline schema `page_links.pages`."""

    __slots__ = ()
    _schema: ClassVar[str] = "page_links.pages"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("last", "last"),
        ("next", "next"),
        ("first", "first"),
        ("prev", "prev"),
    )

    @property
    def last(self) -> str | None:
        """URI of the last page of the results."""
        return _get_str(self._data, "last")

    @last.setter
    def last(self, value: str | None) -> None:
        _set(self._data, "last", value)

    @property
    def next(self) -> str | None:
        """URI of the next page of the results."""
        return _get_str(self._data, "next")

    @next.setter
    def next(self, value: str | None) -> None:
        _set(self._data, "next", value)

    @property
    def first(self) -> str | None:
        """URI of the first page of the results."""
        return _get_str(self._data, "first")

    @first.setter
    def first(self, value: str | None) -> None:
        _set(self._data, "first", value)

    @property
    def prev(self) -> str | None:
        """URI of the previous page of the results."""
        return _get_str(self._data, "prev")

    @prev.setter
    def prev(self, value: str | None) -> None:
        _set(self._data, "prev", value)


class Pagination(Model):
    """Schema `pagination`."""

    __slots__ = ()
    _schema: ClassVar[str] = "pagination"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("links", "links"),)

    @property
    def links(self) -> PageLinks | None:
        """``links``."""
        return _get_model(self._data, "links", PageLinks)

    @links.setter
    def links(self, value: PageLinks | None) -> None:
        _set(self._data, "links", value)


class AccountResponse(Model):
    """A JSON object keyed on account with an excerpt of the current user account data. Body of the
    `account` response (schema `responses/account`).
    """

    __slots__ = ()
    _schema: ClassVar[str] = "responses/account"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("account", "account"),)

    @property
    def account(self) -> Account | None:
        """``account``."""
        return _get_model(self._data, "account", Account)

    @account.setter
    def account(self, value: Account | None) -> None:
        _set(self._data, "account", value)


class AppsValidateRollbackResponse(Model):
    """A JSON object with the validation results. Body of the `apps_validate_rollback` response
    (schema `responses/apps_validate_rollback`).
    """

    __slots__ = ()
    _schema: ClassVar[str] = "responses/apps_validate_rollback"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("valid", "valid"),
        ("error", "error"),
        ("warnings", "warnings"),
    )

    @property
    def valid(self) -> bool | None:
        """Indicates whether the app can be rolled back to the specified deployment."""
        return _get_bool(self._data, "valid")

    @valid.setter
    def valid(self, value: bool | None) -> None:
        _set(self._data, "valid", value)

    @property
    def error(self) -> AppRollbackValidationCondition | None:
        """Contains the failing condition that is causing the rollback to be invalid."""
        return _get_model(self._data, "error", AppRollbackValidationCondition)

    @error.setter
    def error(self, value: AppRollbackValidationCondition | None) -> None:
        _set(self._data, "error", value)

    @property
    def warnings(self) -> list[AppRollbackValidationCondition] | None:
        """Contains a list of warnings that may cause the rollback to run under unideal
        circumstances.
        """
        return _get_models(self._data, "warnings", AppRollbackValidationCondition)

    @warnings.setter
    def warnings(self, value: list[AppRollbackValidationCondition] | None) -> None:
        _set(self._data, "warnings", value)


class CancelEventResponse(Model):
    """A JSON with key `event` Body of the `cancel_event` response (schema
    `responses/cancel_event`).
    """

    __slots__ = ()
    _schema: ClassVar[str] = "responses/cancel_event"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("event", "event"),)

    @property
    def event(self) -> AppEvent | None:
        """``event``."""
        return _get_model(self._data, "event", AppEvent)

    @event.setter
    def event(self, value: AppEvent | None) -> None:
        _set(self._data, "event", value)


class GetEventResponse(Model):
    """A JSON with key `event` Body of the `get_event` response (schema `responses/get_event`)."""

    __slots__ = ()
    _schema: ClassVar[str] = "responses/get_event"
    _fields: ClassVar[tuple[tuple[str, str], ...]] = (("event", "event"),)

    @property
    def event(self) -> AppEvent | None:
        """``event``."""
        return _get_model(self._data, "event", AppEvent)

    @event.setter
    def event(self, value: AppEvent | None) -> None:
        _set(self._data, "event", value)


__all__ = [
    "Account",
    "AccountResponse",
    "AccountStatus",
    "AccountTeam",
    "App",
    "AppAlert",
    "AppAlertEmail",
    "AppAlertPhase",
    "AppAlertProgress",
    "AppAlertProgressStep",
    "AppAlertProgressStepReason",
    "AppAlertProgressStepStatus",
    "AppAlertSlackWebhook",
    "AppAlertSpec",
    "AppAlertSpecOperator",
    "AppAlertSpecRule",
    "AppAlertSpecWindow",
    "AppAutoscalingSpec",
    "AppAutoscalingSpecMetrics",
    "AppAutoscalingSpecMetricsCpu",
    "AppAutoscalingSpecService",
    "AppAutoscalingSpecServiceMetrics",
    "AppAutoscalingSpecServiceMetricsRequestDuration",
    "AppAutoscalingSpecServiceMetricsRequestsPerSecond",
    "AppComponentBase",
    "AppComponentHealth",
    "AppComponentHealthState",
    "AppComponentInstanceBase",
    "AppComponentInstanceBaseInstanceSizeSlug",
    "AppDatabaseSpec",
    "AppDatabaseSpecEngine",
    "AppDomainSpec",
    "AppDomainSpecMinimumTlsVersion",
    "AppDomainSpecType",
    "AppDomainValidation",
    "AppEgressSpec",
    "AppEgressTypeSpec",
    "AppEvent",
    "AppEventAutoscaling",
    "AppEventAutoscalingPhase",
    "AppEventType",
    "AppEvents",
    "AppFunctionsComponentHealth",
    "AppFunctionsComponentHealthFunctionsComponentHealthMetrics",
    "AppFunctionsSpec",
    "AppHealth",
    "AppHealthCheckSpec",
    "AppHealthResponse",
    "AppIngressSpec",
    "AppIngressSpecRule",
    "AppIngressSpecRuleMatch",
    "AppIngressSpecRuleRoutingComponent",
    "AppIngressSpecRuleRoutingRedirect",
    "AppIngressSpecRuleStringMatchExact",
    "AppIngressSpecRuleStringMatchPrefix",
    "AppInstance",
    "AppInstanceComponentType",
    "AppInstances",
    "AppJobInvocation",
    "AppJobInvocationPhase",
    "AppJobInvocationTrigger",
    "AppJobInvocationTriggerManual",
    "AppJobInvocationTriggerManualUser",
    "AppJobInvocationTriggerScheduled",
    "AppJobInvocationTriggerScheduledSchedule",
    "AppJobInvocationTriggerType",
    "AppJobInvocations",
    "AppJobSpec",
    "AppJobSpecKind",
    "AppJobSpecTermination",
    "AppLogDestinationDatadogSpec",
    "AppLogDestinationDefinition",
    "AppLogDestinationLogtailSpec",
    "AppLogDestinationOpenSearchSpec",
    "AppLogDestinationOpenSearchSpecBasicAuth",
    "AppLogDestinationPapertrailSpec",
    "AppMaintenanceSpec",
    "AppMetricsBandwidthUsage",
    "AppMetricsBandwidthUsageDetails",
    "AppMetricsBandwidthUsageRequest",
    "AppPropose",
    "AppProposeResponse",
    "AppResponse",
    "AppRollbackValidationCondition",
    "AppRollbackValidationConditionCode",
    "AppRouteSpec",
    "AppServiceSpec",
    "AppServiceSpecHealthCheck",
    "AppServiceSpecProtocol",
    "AppServiceSpecTermination",
    "AppSpec",
    "AppSpecRegion",
    "AppStaticSiteSpec",
    "AppVariableDefinition",
    "AppVariableDefinitionScope",
    "AppVariableDefinitionType",
    "AppWorkerSpec",
    "AppWorkerSpecTermination",
    "AppsAlertResponse",
    "AppsAssignAppAlertDestinationsRequest",
    "AppsBitbucketSourceSpec",
    "AppsCorsPolicy",
    "AppsCreateAppRequest",
    "AppsCreateDeploymentRequest",
    "AppsDedicatedEgressIp",
    "AppsDedicatedEgressIpStatus",
    "AppsDeleteAppResponse",
    "AppsDeployment",
    "AppsDeploymentFunctions",
    "AppsDeploymentJob",
    "AppsDeploymentPhase",
    "AppsDeploymentProgress",
    "AppsDeploymentProgressStep",
    "AppsDeploymentProgressStepReason",
    "AppsDeploymentProgressStepStatus",
    "AppsDeploymentResponse",
    "AppsDeploymentService",
    "AppsDeploymentStaticSite",
    "AppsDeploymentWorker",
    "AppsDeploymentsResponse",
    "AppsDomain",
    "AppsDomainPhase",
    "AppsDomainProgress",
    "AppsGetExecResponse",
    "AppsGetInstanceSizeResponse",
    "AppsGetLogsResponse",
    "AppsGitSourceSpec",
    "AppsGithubSourceSpec",
    "AppsGitlabSourceSpec",
    "AppsImageSourceSpec",
    "AppsImageSourceSpecDeployOnPush",
    "AppsImageSourceSpecRegistryType",
    "AppsInstanceSize",
    "AppsListAlertsResponse",
    "AppsListInstanceSizesResponse",
    "AppsListRegionsResponse",
    "AppsRegion",
    "AppsResponse",
    "AppsRestartRequest",
    "AppsRollbackAppRequest",
    "AppsStringMatch",
    "AppsUpdateAppRequest",
    "AppsValidateRollbackResponse",
    "AppsVpc",
    "AppsVpcEgressIp",
    "BackwardLinks",
    "CancelEventResponse",
    "Error",
    "ForwardLinks",
    "GetEventResponse",
    "InstanceSizeCpuType",
    "LinkToFirstPage",
    "LinkToLastPage",
    "LinkToNextPage",
    "LinkToPrevPage",
    "Meta",
    "MetaProperties",
    "Model",
    "PageLinks",
    "PageLinksPages",
    "Pagination",
    "Schema",
]
