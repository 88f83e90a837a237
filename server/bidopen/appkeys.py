"""Every typed `web.AppKey` of the hub application, in one place."""

from __future__ import annotations

from aiohttp import web

from bidopen.clock import Clock
from bidopen.config import Config
from bidopen.http.clientaddress import TrustedProxies
from bidopen.http.connections import ConnectionGuard

# Declared beside its class: the error middleware reads it, and this module imports that.
from bidopen.metrics import METRICS as METRICS
from bidopen.realtime.hub import RealtimeHub
from bidopen.scheduler import Scheduler
from bidopen.service.accounts import Accounts
from bidopen.service.archive import BidArchive
from bidopen.service.bid_documents import BidDocuments
from bidopen.service.bidding import Bidding
from bidopen.service.decryption import Decryption
from bidopen.service.host_scope import HostScope
from bidopen.service.opening import Opening
from bidopen.service.printing import DocumentPrinter
from bidopen.service.publiclog import PublicLog
from bidopen.service.sessions import SessionService
from bidopen.service.signing import ServerSigner
from bidopen.service.start_checks import FolderSurvey
from bidopen.service.tenders import Tenders
from bidopen.store.db import Database

CONFIG = web.AppKey("config", Config)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
SIGNER = web.AppKey("signer", ServerSigner)
ARCHIVE = web.AppKey("archive", BidArchive)
ACCOUNTS = web.AppKey("accounts", Accounts)
HOST_SCOPE = web.AppKey("host_scope", HostScope)
SESSIONS = web.AppKey("sessions", SessionService)
TENDERS = web.AppKey("tenders", Tenders)
BIDDING = web.AppKey("bidding", Bidding)
DECRYPTION = web.AppKey("decryption", Decryption)
DOCUMENTS = web.AppKey("documents", BidDocuments)
OPENING = web.AppKey("opening", Opening)
REALTIME = web.AppKey("realtime", RealtimeHub)
SCHEDULER = web.AppKey("scheduler", Scheduler)
FOLDER_SURVEY = web.AppKey("folder_survey", FolderSurvey)
TRUSTED_PROXIES = web.AppKey("trusted_proxies", TrustedProxies)
CONNECTIONS = web.AppKey("connections", ConnectionGuard)
PUBLIC_LOG = web.AppKey("public_log", PublicLog)
PRINTER = web.AppKey("printer", DocumentPrinter)
