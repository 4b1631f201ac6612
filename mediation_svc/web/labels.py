"""The catalogue of codes a person may meet on a page, each with its Chinese and English text.

Statuses, backgrounds, specialties, availability, session states, exclusion reasons, audit actions, the
kinds of object an audit entry names and the payload fields it records: a page shows ``label(kind, code)``,
never the code. A code missing from the catalogue shows as a plain "other" word (``UNKNOWN``), not as the
code; ``tests/web/test_labels.py`` fails when an enum value or a recorded audit action has no entry.

The page texts (buttons, headings) stay in ``i18n.py``; this module holds the vocabulary of the data.
"""

from __future__ import annotations

from collections.abc import Callable

from .i18n import EN, ZH

Text = tuple[str, str]  # (zh-CN, en)

UNKNOWN: Text = ("其他", "other")

CATALOGUE: dict[str, dict[str, Text]] = {
    "mediator_status": {
        "active": ("在册", "active"), "suspended": ("暂停", "suspended"), "retired": ("已退出", "retired"),
    },
    "background": {
        "law": ("法律", "law"), "finance": ("金融", "finance"), "insurance": ("保险", "insurance"),
        "medicine": ("医学", "medicine"), "other": ("其他", "other"),
    },
    "expert_field": {
        "actuarial": ("精算", "actuarial"), "medical": ("医学", "medical"), "legal": ("法律", "legal"),
        "accounting": ("会计", "accounting"), "financial_products": ("金融产品", "financial products"),
    },
    "availability": {
        "available": ("可接受邀请", "available"), "limited": ("时间有限", "limited"),
        "unavailable": ("暂不可用", "unavailable"),
    },
    "session_status": {
        "scheduled": ("已安排", "scheduled"), "rescheduled": ("已改期", "rescheduled"),
        "cancelled": ("已取消", "cancelled"), "held": ("已召开", "held"), "no_show": ("当事人未到场", "no-show"),
    },
    "participant_role": {
        "mediator": ("调解员", "mediator"), "applicant": ("申请人", "applicant"), "respondent": ("被申请人", "respondent"),
        "representative": ("代理人", "representative"), "expert": ("专家", "expert"),
        "interpreter": ("翻译", "interpreter"),
    },
    "exclusion": {
        "conflict_of_interest": ("存在利害关系", "conflict of interest"), "suspended": ("已暂停", "suspended"),
        "retired": ("已退出名册", "retired"), "not_active": ("不在册", "not active"),
        "certification_expired": ("资格证书过期", "certification expired"), "full_load": ("在办案件已满", "load full"),
        "recused": ("已回避", "recused"), "already_assigned": ("已是本案调解员", "already the mediator"),
        "on_leave": ("休假，期间无法安排", "on leave for the whole window"),
    },
    "session_outcome": {
        "settled": ("达成调解", "settled"), "partially_settled": ("部分达成", "partly settled"),
        "not_settled": ("未达成", "not settled"), "adjourned": ("休会，另行安排", "adjourned"),
        "no_show": ("当事人未到场", "no-show"),
    },
    # The signature fields of the center's documents (a verification report names those changed later).
    "sign_field": {"mediator": ("调解员签名栏", "the mediator's block"), "seal": ("调解组织印章栏", "the center's seal block"),
                   **{f"party-{n}": (f"第{n}方当事人签名栏", f"party {n}'s block") for n in range(1, 10)}},
    "channel_kind": {"email": ("电子邮件", "e-mail"), "sms": ("短信", "text message")},
    "outbox_status": {
        "pending": ("待发送", "pending"), "sent": ("已发送", "sent"), "failed": ("发送失败", "failed"),
        "cancelled": ("已取消", "cancelled"),
    },
    "signer_kind": {
        "person": ("当事人", "party"), "representative": ("机构代表", "institution's representative"),
        "mediator": ("调解员", "mediator"), "seal": ("调解中心印章", "the center's seal"),
    },
    # What went wrong, by the problem type's slug (errors.py), and what to do: the error page's message.
    "error": {
        "bad-request": ("请求有误，请检查后重试。", "The request is not valid; check it and try again."),
        "not-found": ("页面不存在或无权查看。", "This page does not exist or is not yours to see."),
        "unauthenticated": ("请先登录。", "Please log in first."),
        "forbidden": ("您无权执行此操作。如需办理，请联系案件专员。", "You may not do this; ask a case officer."),
        "conflict": ("当前状态下不能这样办理，请刷新页面查看最新情况。",
                     "This cannot be done in the current state; reload the page to see where things stand."),
        "invalid-transition": ("案件当前状态不能转为所选状态，请刷新页面后选择其他办理步骤。",
                               "The case cannot move to that state now; reload and choose another step."),
        "invalid-input": ("填写的内容有误，请按提示修改后重新提交。", "Something in the form is not valid; correct it and submit again."),
        "validation-error": ("填写的内容有误，请按提示修改后重新提交。", "Something in the form is not valid; correct it and submit again."),
        "rate-limited": ("尝试次数过多，请稍后再试。", "Too many attempts; try again later."),
        "payload-too-large": ("上传的文件太大，请压缩后重试（不超过 20 MB）。", "The file is too large; make it smaller and try again."),
        "service-unavailable": ("服务暂时不可用，请稍后再试。", "The service is not available right now; try again later."),
        "csrf-rejected": ("表单已过期或来源不正确，请刷新页面后重试。",
                          "The form has expired or came from elsewhere; reload the page and try again."),
        "scheduling-conflict": ("该时段已被占用，请另选时段。", "That time is already booked; choose another slot."),
        "mediator-excluded": ("该调解员不能指派到本案，请从候选人名单中另选。",
                              "This mediator cannot be assigned to the case; choose another candidate."),
        "no-eligible-mediator": ("目前没有可以承办本案的调解员，请调整调解员库或稍后再试。",
                                 "No mediator can take this case now; adjust the pools or try later."),
        "expert-conflict": ("该专家与被申请人存在利害关系，不能邀请。", "This expert has a tie with the respondent."),
        "signing-request-expired": ("签署请求已过期，请重新发起签署。", "The signing request has expired; start a new one."),
        "signing-not-your-turn": ("前序签署人尚未签署，请稍候。", "An earlier signer has not signed yet."),
        "signing-code-locked": ("验证码错误次数过多，已被锁定，请重新发送签署链接。",
                                "Too many wrong codes; send a new signing link."),
        "signing-document-changed": ("文书在准备签署后发生了变化，请重新发起签署。",
                                     "The document changed since it was prepared; start signing again."),
        "timestamp-unavailable": ("时间戳服务暂时无法连接，未作任何更改，请稍后再试。",
                                  "The timestamp authority cannot be reached; nothing was changed. Try again later."),
        "seal-unavailable": ("调解中心印章暂时无法使用，未作任何更改，请稍后再试。",
                             "The center's seal cannot sign right now; nothing was changed. Try again later."),
        "report-signer-unavailable": ("验证服务尚不能签署验证报告，请联系调解中心。",
                                      "The verification service cannot sign reports yet; contact the center."),
        "tsa-certificate-expiring": ("时间戳服务证书即将到期，请先更新证书。",
                                     "The timestamp authority's certificate expires too soon; renew it first."),
        "empty-upload": ("上传的文件是空的，请重新选择文件。", "The upload is empty; choose the file again."),
        "not-a-pdf": ("上传的文件不是 PDF，请选择调解协议的 PDF 文件。", "The upload is not a PDF; choose the agreement's PDF file."),
        "unreadable-pdf": ("文件损坏或不是完整的 PDF，无法读取，请重新获取原件后再上传。",
                           "The file is damaged or not a complete PDF; get the original again and upload it."),
        "certificate-already-revoked": ("该证书已被吊销。", "This certificate is already revoked."),
        "unsupported-media-type": ("不支持的文件类型。", "This type of file is not supported."),
        "not-ready-for-confirmation": ("案件尚不能申请司法确认：协议需先由各方签署完成。",
                                       "The case is not ready for judicial confirmation: the agreement must be signed first."),
        "document-finalised": ("文书已定稿，不能再修改；如需修改，请作废后重新起草。",
                               "The document is final; to change it, void it and draft again."),
        "stale-draft-version": ("草稿已有更新的版本，请刷新页面，在最新版本上修改。",
                                "The draft has a newer version; reload and edit the latest one."),
        "database-busy": ("系统繁忙，请稍候再试；您填写的内容没有丢失。", "The service is busy; try again in a moment. Nothing you entered was lost."),
        "database-unavailable": ("系统暂时无法使用，请稍后再试或致电本中心。", "The service is unavailable for now; try again later or call the center."),
        "overloaded": ("当前访问人数过多，请稍候再试。", "Too many people are using the service right now; try again in a moment."),
        "client-closed-request": ("连接已断开，请求没有执行，也没有改动任何内容。", "The connection was closed; the request was not carried out and nothing was changed."),
        "idempotency-key-reused": ("这次提交与之前的一次提交编号相同而内容不同，请刷新页面后重新提交。",
                                   "This submission reuses the key of an earlier, different one; reload and submit again."),
        "signing-link-unknown": ("签署链接无效，请核对短信中的链接，或致电本中心重新发送。",
                                 "This signing link is not valid; check the link in the text message or call the center."),
        "signing-state": ("当前状态下不能进行此操作，请刷新页面查看最新状态。",
                          "This cannot be done in the present state; reload the page to see where signing stands."),
        "certificate-not-valid": ("签署用的证书已失效或被撤销，暂不能签署，请联系本中心。",
                                  "A certificate needed for signing is revoked or not valid; signing must wait. Contact the center."),
        "institution-certificate-refused": ("机构的证书无法验证（不是本中心或认可机构签发，或已失效），请更换证书。",
                                            "The institution's certificate cannot be validated; provide one from the center or a recognised CA."),
        "pdf-too-complex": ("文件结构过于复杂，无法核验；请上传本中心出具的原始文件。",
                            "The file is too complex to verify; upload the original file the center issued."),
        "decompression-too-large": ("文件解压后过大，无法核验；请上传本中心出具的原始文件。",
                                    "The file decompresses to more than can be verified; upload the original file."),
        "verification-busy": ("正在核验的文件较多，请稍候再试。", "Too many files are being verified; try again in a moment."),
        "certificate-managed-offline": ("本中心自身的证书只能由管理员在服务器上管理。",
                                        "The center's own certificates are managed on the server, not here."),
        "link-expired": ("链接已过期或已使用，请致电本中心。", "This link has expired or was already used; call the center."),
        "confirmation-deadline-passed": ("协议生效已超过30日，不能再共同申请司法确认；如仍要申请，请确认已知晓逾期。",
                                         "More than 30 days have passed since the agreement took effect; acknowledge the delay to apply anyway."),
        "second-factor-required": ("请输入身份验证器中的动态验证码。", "Enter the code from your authenticator app."),
        "second-factor-rejected": ("动态验证码不正确或已过期，请重新输入。", "The authenticator code is wrong or has expired; try again."),
        "reauthentication-failed": ("密码（或动态验证码）不正确，请重新确认身份。", "The password (or code) did not match; confirm it is you again."),
        "integer-out-of-range": ("数字超出允许范围，请检查后重试。", "A number is outside the accepted range; check it and try again."),
    },
    # What an audit entry says was done (the verb phrase of the timeline).
    "action": {
        "calendar.synced": ("更新法定节假日安排", "updated the public holiday calendar"),
        "calendar.year_set": ("设置全年节假日安排", "set the year's holidays and working days"),
        "case.due_date_recomputed": ("按新的节假日安排重算办理期限", "recomputed the due date for the new holiday calendar"),
        "case.from_complaint": ("由投诉转为调解案件", "opened the case from a complaint"),
        "complaint.attachment_added": ("上传投诉附件", "attached a file to the complaint"),
        "complaint.deadline_recomputed": ("按新的节假日安排重算处理期限", "recomputed the complaint's deadline for the new holiday calendar"),
        "complaint.extended": ("延长投诉处理期限", "extended the complaint's deadline"),
        "complaint.message": ("留言", "wrote a message"),
        "complaint.status_changed": ("变更投诉状态", "changed the complaint's status"),
        "institution_account.scoped": ("设置机构账号的处理范围", "set the institution account's scope"),
        "institution.representative_nominated": ("机构指定签署调解协议的代表", "named who signs the agreement for the institution"),
        "signing.effect_announced": ("通知各方协议已生效", "told every party the agreement took effect"),
        "signing.institution_seal_uploaded": ("上传机构印章图样", "uploaded the institution's seal image"),
        "signing.key_certified": ("为签署人的密钥签发证书", "certified the signer's key"),
        "signing.link_opened": ("打开签署链接", "opened the signing link"),
        "user.password_changed": ("修改密码", "changed the password"),
        "user.recovery_code_used": ("使用备用恢复码登录", "logged in with a recovery code"),
        "user.second_factor_disabled": ("停用动态验证码", "turned off the authenticator code"),
        "user.second_factor_enabled": ("启用动态验证码", "turned on the authenticator code"),
        "user.second_factor_enrolment_started": ("开始绑定身份验证器", "started setting up an authenticator"),
        "calendar_feed.issued": ("生成日历订阅链接", "issued a calendar feed link"),
        "calendar_feed.revoked": ("撤销日历订阅链接", "revoked a calendar feed link"),
        "case.received": ("登记案件", "took in the case"),
        "case.status_changed": ("变更案件状态", "changed the case status"),
        "case.mediator_assigned": ("指派调解员", "assigned a mediator"),
        "case.mediator_removed": ("撤换调解员", "removed the mediator"),
        "case.party_linked": ("关联当事人账户", "linked a party's account"),
        "case.shared_with_court": ("与法院共享案件", "shared the case with a court"),
        "category.saved": ("保存纠纷类别", "saved a dispute category"),
        "document.draft_created": ("开始起草文书", "started a draft"),
        "document.draft_saved": ("保存文书新版本", "saved a new draft version"),
        "document.finalised": ("文书定稿", "finalised the document"),
        "document.status_changed": ("文书状态变更", "document status changed"),
        "document.voided": ("作废文书", "voided the document"),
        "institution.created": ("登记金融机构", "registered an institution"),
        "judicial.application_started": ("发起司法确认申请", "started the application for judicial confirmation"),
        "judicial.application_signed": ("司法确认申请书签署完成", "the application was signed"),
        "judicial.package_built": ("生成证据材料包", "built the evidence package"),
        "judicial.package_downloaded": ("下载证据材料包", "downloaded the evidence package"),
        "judicial.ruling_recorded": ("记录法院裁定", "recorded the court's ruling"),
        "notification.sent": ("发送通知", "sent a notice"),
        "notification.failed": ("通知发送失败", "a notice could not be delivered"),
        "notification.retried": ("重新发送通知", "retried a notice"),
        "pki.certificate_revoked": ("吊销证书", "revoked a certificate"),
        "pki.seal_key_generated_in_hsm": ("在加密设备中生成印章密钥", "generated the seal key in the HSM"),
        "room.created": ("新增调解室", "added a room"), "room.closed": ("关闭调解室", "closed a room"),
        "venue.created": ("新增调解场所", "added a venue"),
        "rosters.expert_created": ("新增专家", "added an expert"),
        "rosters.expert_invited": ("邀请专家", "invited an expert"),
        "rosters.expert_invitation_answered": ("专家答复邀请", "the expert answered the invitation"),
        "rosters.expert_opinion_submitted": ("专家提交意见", "the expert submitted an opinion"),
        "rosters.mediator_assigned": ("指派调解员", "assigned a mediator"),
        "rosters.mediator_created": ("新增调解员", "added a mediator"),
        "rosters.pool_created": ("新建调解员库", "created a mediator pool"),
        "rosters.pool_member_added": ("调解员加入调解员库", "added a mediator to a pool"),
        "rosters.recusal_requested": ("申请回避", "requested a recusal"),
        "rosters.recusal_decided": ("决定回避申请", "decided a recusal request"),
        "session.scheduled": ("安排调解会议", "scheduled a session"),
        "session.rescheduled": ("调解会议改期", "rescheduled a session"),
        "session.cancelled": ("取消调解会议", "cancelled a session"),
        "session.held_imported": ("登记已召开的调解会议", "recorded a session that was held"),
        "session.record_saved": ("保存调解笔录", "saved the session record"),
        "session.record_confirmed": ("确认调解笔录", "confirmed the session record"),
        "session.notice_sent": ("发送调解会议通知书", "sent the session notice"),
        "signing.request_opened": ("发起签署", "sent the agreement for signing"),
        "signing.request_opened_for_signing": ("授权核对完毕，开放签署", "opened signing after the letters were checked"),
        "signing.stage_started": ("进入下一签署阶段", "the next signing stage started"),
        "signing.link_issued": ("发送签署链接", "sent a signing link"),
        "signing.code_sent": ("发送短信验证码", "sent a one-time code"),
        "signing.identity_verified": ("签署人身份核验通过", "the signer's identity was verified"),
        "signing.identity_failed": ("签署人身份核验未通过", "the signer's identity check failed"),
        "signing.document_viewed": ("签署人阅读协议", "the signer read the agreement"),
        "signing.consent_given": ("签署人同意电子签署", "the signer consented to sign electronically"),
        "signing.drawing_saved": ("签署人手写签名", "the signer drew a signature"),
        "signing.signed": ("签署", "signed"),
        "signing.declined": ("拒绝签署", "declined to sign"),
        "signing.sealed": ("加盖调解中心印章", "applied the center's seal"),
        "signing.completed": ("签署完成", "signing completed"),
        "signing.expired": ("签署请求过期", "the signing request expired"),
        "signing.voided": ("作废签署请求", "voided the signing request"),
        "signing.reminded": ("发送签署提醒", "sent a signing reminder"),
        "signing.authorisation_uploaded": ("上传授权委托书", "uploaded a letter of authorisation"),
        "signing.authorisation_approved": ("核对授权委托书", "checked a letter of authorisation"),
        "signing.external_prepared": ("准备机构证书签署", "prepared signing with the institution's certificate"),
        "signing.archive_timestamp_added": ("加盖长期保存时间戳", "added an archive timestamp"),
        "time_off.added": ("登记休假或关闭时段", "recorded leave or a closure"),
        "working_hours.set": ("设置工作时间", "set working hours"),
        "user.created": ("开设账户", "opened an account"),
        "user.logged_in": ("登录", "logged in"),
    },
    # The kind of object an audit entry's subject names ("case:12" -> 案件).
    "subject": {
        "case": ("案件", "case"), "document": ("文书", "document"), "draft": ("文书草稿", "draft"),
        "user": ("账户", "account"), "mediator": ("调解员", "mediator"), "expert": ("专家", "expert"),
        "pool": ("调解员库", "pool"), "session": ("调解会议", "session"), "room": ("调解室", "room"),
        "venue": ("调解场所", "venue"), "signing_request": ("签署请求", "signing request"),
        "signing_participant": ("签署人", "signer"), "judicial_application": ("司法确认申请", "judicial application"),
        "evidence_package": ("证据材料包", "evidence package"), "institution": ("金融机构", "institution"),
        "category": ("纠纷类别", "category"), "certificate": ("证书", "certificate"),
        "notification": ("通知", "notice"), "outbox": ("通知", "notice"), "invitation": ("专家邀请", "invitation"),
        "recusal_request": ("回避申请", "recusal request"), "calendar_feed": ("日历订阅", "calendar feed"),
        "time_off": ("休假", "leave"), "complaint": ("投诉", "complaint"),
    },
    # The fields an audit entry's payload records, as the timeline names them.
    "field": {
        "from": ("变更前", "before"), "to": ("变更后", "after"), "reason": ("原因", "reason"),
        "status": ("状态", "status"), "starts_at": ("开始时间", "starts"), "ends_at": ("结束时间", "ends"),
        "room_id": ("调解室", "room"), "sha256": ("SHA-256", "SHA-256"), "document_id": ("文书编号", "document"),
        "mediator_user_id": ("调解员", "mediator"), "previous_mediator_user_id": ("原调解员", "previous mediator"),
        "court_user_id": ("法院", "court"), "expires_at": ("有效期至", "until"), "language": ("语言", "language"),
        "draft_version": ("版本", "version"), "version": ("版本", "version"), "outcome": ("结果", "outcome"),
        "role": ("角色", "role"), "name": ("名称", "name"), "mode": ("方式", "mode"),
        "ruling_number": ("裁定书编号", "ruling number"), "confirmed": ("裁定结果", "decision"),
        "court_name": ("法院", "court"), "deadline_at": ("签署截止", "deadline"), "pages": ("页数", "pages"),
        "number": ("案号", "case number"), "question": ("问题", "question"), "note": ("备注", "note"),
        "signer": ("签署人", "signer"), "recipient_changed": ("收件人已变更", "recipient changed"),
        "claim_amount": ("请求金额", "claim"), "category_code": ("纠纷类别", "category"),
        "channel": ("来源渠道", "channel"),
    },
}


# Kinds whose texts the page catalogue already holds (i18n.py keys "<prefix><code>"), not repeated here.
PAGE_KINDS = {"case_status": "status.", "document_status": "docstatus.", "role": "role.", "channel": "channel.",
              "session_mode": "sched.mode.", "signer_status": "sign.status.", "request_status": "sign.request.",
              "application_status": "court.status."}


def _code(code: object) -> str:
    return str(getattr(code, "value", code))


def has_label(kind: str, code: object) -> bool:
    if kind in PAGE_KINDS:
        return f"{PAGE_KINDS[kind]}{_code(code)}" in ZH
    return _code(code) in CATALOGUE.get(kind, {})


def label(kind: str, code: object, language: str = "zh-CN") -> str:
    """The text of ``code`` in the catalogue ``kind``, in ``language``; ``UNKNOWN`` when it is not listed."""
    if kind in PAGE_KINDS:
        key = f"{PAGE_KINDS[kind]}{_code(code)}"
        if key in ZH:
            return (EN if language == "en" else ZH).get(key) or ZH[key]
        return UNKNOWN[1] if language == "en" else UNKNOWN[0]
    text = CATALOGUE.get(kind, {}).get(_code(code), UNKNOWN)
    return text[1] if language == "en" else text[0]


def labeller(language: str) -> Callable[[str, object], str]:
    """``label`` bound to a language, for templates: ``{{ label("session_status", s.status) }}``."""
    return lambda kind, code: label(kind, code, language)
