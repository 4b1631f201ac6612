"""Page texts of the staff member's own account page: password and second factor (merged into ``i18n``)."""

from __future__ import annotations

ZH: dict[str, str] = {
    "nav.account": "我的账号",
    "account.title": "我的账号",
    "account.sf_title": "两步验证（身份验证器动态码）",
    "account.sf_off_now": "两步验证未开启：现在登录只需要密码。",
    "account.sf_what": "开启后，登录时除了密码，还要输入手机上身份验证器应用显示的6位动态码。密码被人知道了，别人也登不进您的账号。",
    "account.sf_start": "开启两步验证",
    "account.step_app": "在手机上安装一个身份验证器应用（如腾讯身份验证器、微软身份验证器或谷歌身份验证器）。",
    "account.step_scan": "在应用里选择「扫描二维码」，扫描下面的二维码。",
    "account.qr_title": "用身份验证器应用扫描这个二维码",
    "account.secret_instead": "无法扫描时，可在应用里手动输入这串密钥：",
    "account.step_code": "输入应用上现在显示的6位动态码，确认开启。",
    "account.code": "6位动态码（或一个恢复码）",
    "account.sf_confirm": "确认开启",
    "account.sf_restart": "换一部手机重新扫码",
    "account.code_rejected": "动态码不对。请检查手机时间是否准确，再输入应用上新的动态码。",
    "account.sf_now_on": "两步验证已开启。下次登录时请输入身份验证器上的动态码。",
    "account.recovery_title": "恢复码（只显示这一次）",
    "account.recovery_once": "请现在把下面10个恢复码抄下来或打印出来，放在安全的地方。离开本页后就不能再看到了。",
    "account.recovery_how": "手机丢失或换机时，可以用一个恢复码代替动态码登录；每个恢复码只能用一次。",
    "account.recovery_saved": "我已保存好恢复码",
    "account.sf_on": "两步验证已开启：登录时需要密码和身份验证器上的动态码。",
    "account.sf_off_why": "关闭前请再次确认是您本人：输入密码和现在的动态码。",
    "account.password_again": "密码",
    "account.sf_off": "关闭两步验证",
    "account.password_title": "修改密码",
    "account.password_rules": "新密码至少12个字符；不能是常见密码、纯数字或用户名。改好后需要用新密码重新登录。",
    "account.password_current": "现在的密码", "account.password_new": "新密码", "account.password_new_again": "再输入一次新密码",
    "account.password_submit": "修改密码",
    "account.password_mismatch": "两次输入的新密码不一样，请重新输入。",
    "account.password_rejected": "新密码不符合要求：至少12个字符，不能是常见密码、纯数字、用户名或现在的密码。",
    "ok.password_changed": "密码已修改，请用新密码登录。",
    "ok.second_factor_off": "两步验证已关闭：现在登录只需要密码。",
}

EN: dict[str, str] = {
    "nav.account": "My account",
    "account.title": "My account",
    "account.sf_title": "Two-step login (authenticator codes)",
    "account.sf_off_now": "Two-step login is off: logging in needs only the password.",
    "account.sf_what": "When it is on, logging in needs the password and the 6-digit code shown by an authenticator "
                       "app on your phone. Someone who learns your password still cannot log in.",
    "account.sf_start": "Turn on two-step login",
    "account.step_app": "Install an authenticator app on your phone (for example Tencent Authenticator, Microsoft "
                        "Authenticator or Google Authenticator).",
    "account.step_scan": "In the app choose \"scan a QR code\" and scan the code below.",
    "account.qr_title": "Scan this QR code with the authenticator app",
    "account.secret_instead": "If you cannot scan it, type this key into the app:",
    "account.step_code": "Enter the 6-digit code the app shows now to turn it on.",
    "account.code": "6-digit code (or a recovery code)",
    "account.sf_confirm": "Turn it on",
    "account.sf_restart": "Start again with another phone",
    "account.code_rejected": "That code is not right. Check that the phone's clock is correct and enter the app's "
                             "next code.",
    "account.sf_now_on": "Two-step login is on. Next time you log in, enter the code from the authenticator app.",
    "account.recovery_title": "Recovery codes (shown this once)",
    "account.recovery_once": "Write down or print these 10 recovery codes now and keep them somewhere safe. Once you "
                             "leave this page they cannot be shown again.",
    "account.recovery_how": "If you lose or change your phone, log in with a recovery code instead of the app's code; "
                            "each recovery code works once.",
    "account.recovery_saved": "I have saved the recovery codes",
    "account.sf_on": "Two-step login is on: logging in needs the password and the authenticator code.",
    "account.sf_off_why": "To turn it off, confirm it is you: enter your password and the current code.",
    "account.password_again": "Password",
    "account.sf_off": "Turn off two-step login",
    "account.password_title": "Change the password",
    "account.password_rules": "At least 12 characters; not a common password, not digits only, not the username. "
                              "Afterwards you log in again with the new password.",
    "account.password_current": "Current password", "account.password_new": "New password",
    "account.password_new_again": "New password again",
    "account.password_submit": "Change the password",
    "account.password_mismatch": "The two new passwords differ; type them again.",
    "account.password_rejected": "The new password is not accepted: at least 12 characters, not a common password, "
                                 "not digits only, not the username, not the current password.",
    "ok.password_changed": "The password is changed; log in with the new one.",
    "ok.second_factor_off": "Two-step login is off: logging in needs only the password.",
}
