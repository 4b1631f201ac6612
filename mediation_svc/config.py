"""Settings, read once from the environment (prefix ``MEDIATION_``) or a ``.env`` file."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

import os

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDIATION_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/mediation.db"
    # SQL echo is for debugging only; it would write personal data to the log.
    database_echo: bool = False
    # Sized together (docs/operations.md, "Capacity"): each worker runs at most ``worker_threads`` requests at
    # once, each holding at most one connection, so the pool never runs dry under the thread limit; requests
    # beyond ``worker_threads + worker_queue`` are answered 503 at once instead of queueing into timeouts.
    database_pool_size: int = 12
    database_pool_timeout_seconds: float = 2.0
    worker_threads: int = 12
    worker_queue: int = 24
    # ... and a request waits at most this long for its turn; past it the answer is 503 (a fast 503).
    worker_queue_wait_seconds: float = 0.5
    # Intakes wait one after another on the case-number counter; more than this many per worker get 503.
    intake_concurrency: int = 3
    # PostgreSQL session limits: a lock wait, a statement, an idle open transaction never last for ever.
    database_lock_timeout_ms: int = 10_000
    database_statement_timeout_ms: int = 60_000
    database_idle_in_transaction_timeout_ms: int = 120_000
    # SQLite: how long a writer waits for the write lock.
    sqlite_busy_timeout_ms: int = 10_000
    # A deadlock or serialisation failure is retried this many times before the client gets 503.
    database_retry_attempts: int = 3

    key_dir: Path = PROJECT_ROOT / "keys"
    # The CJK fonts cut to the documents' characters, kept between processes (documents/fonts.py); a directory
    # that cannot be written only means each process cuts them again (about 0.5 s on its first render).
    font_cache_dir: Path = PROJECT_ROOT / "var" / "font-cache"
    # The passphrase that encrypts private keys at rest. Either given directly or read from a file
    # (a Docker/Kubernetes secret); the file wins when both are set.
    key_passphrase: str = "development-only-passphrase"
    key_passphrase_file: Path | None = None

    # Printed in QR codes, SMS links and certificate URLs. Unset, it follows the PORT the server is given
    # (``PORT=8105 make run`` links to :8105), so development links reach the server that sent them.
    public_base_url: str = "http://127.0.0.1:8000"
    # "development" turns on the development-only pages (/dev/outbox: the SMS and e-mail sent); "production"
    # (the default) leaves them off.
    environment: str = "production"
    dev_outbox_path: Path | None = None  # development: where /dev/outbox's copies go (default: beside the database)
    center_name: str = "广东正和银行保险消费纠纷调解中心"
    center_name_en: str = "Guangdong Zhenghe Banking and Insurance Dispute Mediation Center"
    center_phone: str | None = "4009-888-188"  # printed on notices to parties
    case_number_prefix: str = "粤正和调"
    # What kind of mediation organisation the center is: a 人民调解委员会 (its agreements rest on the People's
    # Mediation Law) or another lawfully established mediation organisation (a civil contract; judicial
    # confirmation under the Civil Procedure Law art. 205). The documents' legal references follow it.
    organisation_kind: Literal["people_mediation_committee", "mediation_organisation"] = "mediation_organisation"
    seal_purpose: str = "调解专用章"  # printed at the base of the center's round e-seal
    # Courts a joint application for judicial confirmation may go to (Civil Procedure Law art. 205: the basic
    # court where the center is, or where a party lives or the subject matter lies). JSON list in the env.
    judicial_courts: list[str] = ["广州市天河区人民法院", "广州市越秀区人民法院", "广州市海珠区人民法院",
                                  "广州市白云区人民法院", "佛山市禅城区人民法院", "深圳市福田区人民法院"]

    # Argon2id parameters: rfc9106_low_memory (default) or rfc9106_high_memory; "cheapest" is for tests only.
    password_hash_profile: str = "rfc9106_low_memory"

    access_token_minutes: int = 15
    # Institutions signing with their own certificate: CAs (PEM, one file) accepted besides the center's root.
    institution_trust_anchors_file: Path | None = None
    token_audience: str = "mediation-svc"

    # Login throttling (OWASP ASVS V2.2): failures per account *and* address lock that pair only; failures
    # per address (password spraying) lock the address; failures on an account from everywhere only slow
    # it down (growing delays, capped), and never an address the account last logged in from.
    login_max_attempts_per_account: int = 5
    login_max_attempts_per_address: int = 20
    login_window_seconds: int = 900
    login_delay_max_seconds: int = 60
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed; none by default.
    trusted_proxies: str = ""
    # Web sessions are renewed while in use, but never beyond this many hours after the login.
    session_absolute_hours: int = 12
    # /metrics: a bearer token for the scraper (or an admin's access token); empty: admins only.
    metrics_token: str | None = None

    fast_track_threshold: Decimal = Decimal("5000.00")
    due_working_days: int = 30
    due_working_days_fast_track: int = 10

    max_upload_bytes: int = 20 * 1024 * 1024
    # Verifying uploaded PDFs (verification/limits.py): total decompressed size, the worker process's memory
    # and time, and how many run at once per server process.
    verify_max_inflated_mib: int = 128
    verify_worker_memory_mib: int = 1536
    verify_worker_seconds: int = 60
    verify_concurrency: int = 2
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

    # Complaints (issue 17): the institution's time limits in days from receipt (《银行业保险业消费投诉处理管理办法》
    # art. 21: 15, 30 when complex, another 30 at most with approval), "soon" on the board, an urgent
    # complaint's close of day, the consumer's answer link, and attachments.
    complaint_number_prefix: str = "粤正和诉"
    complaint_answer_days: int = 15
    complaint_complex_days: int = 30
    complaint_approved_extra_days: int = 30
    complaint_soon_working_days: int = 3
    complaint_close_of_day: str = "17:30"
    complaint_link_days: int = 7
    complaint_attachment_max_bytes: int = 5 * 1024 * 1024
    complaint_attachment_max_pixels: int = 40_000_000
    # A case's evidence (issue 18): photos (JPEG, PNG) and PDFs, at most this size; an image at most this many
    # pixels, counted from its header before it is decoded.
    evidence_max_bytes: int = 10 * 1024 * 1024
    evidence_max_pixels: int = 40_000_000

    @model_validator(mode="after")
    def _base_url_follows_port(self) -> "Settings":
        port = os.environ.get("PORT", "").strip()
        if "public_base_url" not in self.model_fields_set and port.isdigit():
            self.public_base_url = f"http://127.0.0.1:{int(port)}"
        return self

    @property
    def development(self) -> bool:
        return self.environment.strip().lower() == "development"

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
