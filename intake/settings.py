"""Service settings from the environment (or a `.env` file), names fixed by interfaces.md.

Secrets (tokens, signing secrets, passwords) only ever come from here, never from the repo.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from intake.errors import ConfigError


def parse_host_port(value: str, name: str) -> tuple[str, int]:
    """'host:port' -> (host, port), with an error naming the setting."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{name}: expected host:port, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


class Settings(BaseSettings):
    """Everything `intake serve` needs; channels whose settings are absent are skipped."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    db_url: str | None = Field(default=None, alias="INTAKE_DB_URL")
    policy: str = Field(default="hos-2024", alias="INTAKE_POLICY")
    smtp_listen: str = Field(default="127.0.0.1:2525", alias="INTAKE_SMTP_LISTEN")
    smtp_relay: str | None = Field(default=None, alias="INTAKE_SMTP_RELAY")
    mail_from: str = Field(default="complaints@localhost", alias="INTAKE_MAIL_FROM")
    inbox_addresses: str | None = Field(default=None, alias="INTAKE_INBOX_ADDRESSES")
    max_message_bytes: int = Field(default=25 * 1024 * 1024, alias="INTAKE_MAX_MESSAGE_BYTES")
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=0,
                                      alias="INTAKE_MAX_ATTACHMENT_BYTES")
    imap_url: str | None = Field(default=None, alias="INTAKE_IMAP_URL")
    imap_password: SecretStr | None = Field(default=None, alias="INTAKE_IMAP_PASSWORD")
    imap_processed_folder: str = Field(default="Intake/Processed",
                                       alias="INTAKE_IMAP_PROCESSED_FOLDER")
    imap_poll_seconds: float = Field(default=60.0, gt=0, alias="INTAKE_IMAP_POLL_SECONDS")
    imap_idle: bool = Field(default=True, alias="INTAKE_IMAP_IDLE")
    http_listen: str = Field(default="127.0.0.1:8080", alias="INTAKE_HTTP_LISTEN")
    workers: int = Field(default=2, ge=1, le=64, alias="INTAKE_WORKERS")
    worker_poll_seconds: float = Field(default=0.2, gt=0, alias="INTAKE_WORKER_POLL_SECONDS")
    lease_seconds: int = Field(default=120, ge=5, alias="INTAKE_LEASE_SECONDS")
    max_attempts: int = Field(default=5, ge=1, alias="INTAKE_MAX_ATTEMPTS")
    outbox_give_up_hours: float = Field(default=48.0, gt=0, alias="INTAKE_OUTBOX_GIVE_UP_HOURS")
    chat_merge_minutes: float = Field(default=10.0, ge=0, alias="INTAKE_CHAT_MERGE_MINUTES")
    retry_base_seconds: float = Field(default=5.0, gt=0, alias="INTAKE_RETRY_BASE_SECONDS")
    log_level: str = Field(default="INFO", alias="INTAKE_LOG_LEVEL")

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_triage_channel: str | None = Field(default=None, alias="SLACK_TRIAGE_CHANNEL")
    slack_api_url: str | None = Field(default=None, alias="SLACK_API_URL")
    slack_digest_time: str = Field(default="08:30", alias="SLACK_DIGEST_TIME")
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str | None = Field(default=None, alias="TELEGRAM_API_URL")
    telegram_webhook_secret: SecretStr | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_webhook_url: str | None = Field(default=None, alias="TELEGRAM_WEBHOOK_URL")
    telegram_max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1,
                                         alias="TELEGRAM_MAX_FILE_BYTES")
    facebook_app_secret: SecretStr | None = Field(default=None, alias="FACEBOOK_APP_SECRET")
    facebook_page_token: SecretStr | None = Field(default=None, alias="FACEBOOK_PAGE_TOKEN")
    facebook_verify_token: SecretStr | None = Field(default=None, alias="FACEBOOK_VERIFY_TOKEN")
    facebook_graph_url: str | None = Field(default=None, alias="FACEBOOK_GRAPH_URL")
    social_secret: SecretStr | None = Field(default=None, alias="INTAKE_SOCIAL_SECRET")

    @field_validator("smtp_listen", "http_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        parse_host_port(value, "listen address")
        return value

    def inbox(self) -> frozenset[str]:
        """Recipient addresses we accept mail for (lower case); default: the From address."""
        raw = self.inbox_addresses or self.mail_from
        return frozenset(a.strip().lower() for a in raw.split(",") if a.strip())


def load_settings() -> Settings:
    """Settings from the environment, with validation errors naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        ]
        raise ConfigError("invalid settings: " + "; ".join(problems)) from exc
