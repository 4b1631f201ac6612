"""Settings, read once from the environment (prefix ``MEDIATION_``) or a ``.env`` file."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDIATION_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/mediation.db"
    # SQL echo is for debugging only; it would write personal data to the log.
    database_echo: bool = False

    key_dir: Path = PROJECT_ROOT / "keys"
    # The passphrase that encrypts private keys at rest. Either given directly or read from a file
    # (a Docker/Kubernetes secret); the file wins when both are set.
    key_passphrase: str = "development-only-passphrase"
    key_passphrase_file: Path | None = None

    public_base_url: str = "http://127.0.0.1:8000"
    center_name: str = "广东正和银行保险消费纠纷调解中心"
    center_name_en: str = "Guangdong Zhenghe Banking and Insurance Dispute Mediation Center"
    center_phone: str | None = "4009-888-188"  # printed on notices to parties
    case_number_prefix: str = "粤正和调"

    # Argon2id parameters: rfc9106_low_memory (default) or rfc9106_high_memory; "cheapest" is for tests only.
    password_hash_profile: str = "rfc9106_low_memory"

    access_token_minutes: int = 15
    # Institutions signing with their own certificate: CAs (PEM, one file) accepted besides the center's root.
    institution_trust_anchors_file: Path | None = None
    token_audience: str = "mediation-svc"

    login_max_attempts_per_account: int = 5
    login_max_attempts_per_address: int = 20
    login_window_seconds: int = 900

    fast_track_threshold: Decimal = Decimal("5000.00")
    due_working_days: int = 30
    due_working_days_fast_track: int = 10

    max_upload_bytes: int = 20 * 1024 * 1024
    display_timezone: str = "Asia/Shanghai"
    default_language: str = "zh-CN"

    log_json: bool = True
    log_level: str = "INFO"

    # Scheduling (issue 4): the centre's default working hours (local time, for users without their own),
    # the gap kept between a mediator's sessions, and the grid that suggested start times fall on.
    scheduling_default_hours: str = "09:00-12:00,13:30-17:30"
    scheduling_buffer_minutes: int = 15
    scheduling_slot_step_minutes: int = 30
    # Meeting links for remote sessions: "builtin" makes unguessable room URLs under meeting_base_url
    # (a self-hosted Jitsi or similar); officers may always type a link instead.
    meeting_provider: str = "builtin"
    meeting_base_url: str = "https://meet.example.org/mediation"

    # Notifications: SMTP (or the log, in development) for e-mail with .ics invitations, an HTTP gateway or
    # the log for SMS.
    mail_transport: str = "smtp"  # smtp | log
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "noreply@mediation.example.org"
    sms_gateway: str = "log"  # log | http
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    notification_max_attempts: int = 6
    notification_backoff_seconds: int = 60
    notification_backoff_max_seconds: int = 3600

    def passphrase(self) -> bytes:
        if self.key_passphrase_file is not None:
            return self.key_passphrase_file.read_text(encoding="utf-8").strip().encode()
        return self.key_passphrase.encode()

    @property
    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            return Path(self.database_url[len(prefix):])
        return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
