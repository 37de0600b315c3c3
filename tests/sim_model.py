"""The simulator's model (see vspc_sim.py): built-in UIDs and messages,
job specs and the objects made from them -- BackupServerJob,
BackupServerReplicationVmJob, BackupServerCdpReplicationJob (CDP
policies) --, timestamps and their shapes, the generated fleet's specs,
scenarios (steps) and the VSPC errors envelope.

Standard library only."""

import copy
import datetime
import random
import re
import threading
import uuid

import vspc_profiles as P

ZERO_UUID = "00000000-0000-0000-0000-000000000000"


# Built-in jobs.  The seed job is the one the project was started from.
SEED_UID = "bc04d2e5-dd4c-4f85-af0e-424106a32a75"
SEED_UNIQUE_UID = "e6c1a0f4-2b9d-4c1e-9f3a-5d7b8c9e0a12"
SEED_SOURCE_WAN = "3f2a9c1e-5b7d-4e8f-9a6b-2c4d6e8f0a1b"
SEED_TARGET_WAN = "7e1d4b2c-9a8f-4c3e-b5d6-1f2e3a4b5c6d"
SEED_TARGET_HOST = "5a6b7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d"

CLOUD_UID = "1d0c2f3e-4b5a-4968-8776-a5b4c3d2e1f0"
CLOUD_HOST = "c7ca9843-26b7-4a1c-b6f5-0fa2cec9ec2e"

WAN_UID = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
WAN_SOURCE_WAN = "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901"
WAN_TARGET_WAN = "8a9b0c1d-2e3f-4051-8263-748596a7b8c9"
WAN_TARGET_HOST = "4e5f6071-8293-4a4b-9c5d-6e7f8091a2b3"

# The UID of the collection example in the official specification: its
# version nibble is 6, so it is not an RFC 4122 UUID, yet VSPC hands it out.
SPEC_EXAMPLE_UID = "cc2b33a6-f11b-6f5f-b297-a5ee7cdbfc84"

BAD_TYPE_UID = "0badf00d-0000-4000-8000-00000000dead"
SERVER_ERROR_UID = "5e520520-0000-4000-8000-000000000520"
EMPTY_JOB_UID = "0e0e0e0e-0000-4000-8000-000000000000"

MSG_UNAUTHORIZED = "Authorization has been denied for this request."
MSG_JOB_MISSING = "Backup server replication VM job does not exist."
MSG_BSJOB_MISSING = "Backup server job does not exist."
MSG_SERVER_MISSING = "Backup server does not exist."
MSG_NO_ROUTE = "The requested resource does not exist."
MSG_SERVER_ERROR = "Internal server error. Contact your service provider."
MSG_BAD_LOGIN = ("Cannot complete login due to incorrect username or "
                 "password, or no sufficient rights.")
MSG_BAD_REFRESH = "The refresh token is invalid, expired or revoked."
MSG_CDP_MISSING = "Backup server CDP replication job does not exist."


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

class _Scenario:
    def __init__(self, spec):
        if isinstance(spec, list):
            steps = spec
        elif isinstance(spec, dict) and "steps" in spec:
            steps = spec["steps"]
        elif isinstance(spec, dict):
            steps = [spec]
        else:
            raise TypeError("scenario must be a dict or a list of steps")
        if not steps:
            raise ValueError("scenario without steps")
        self.steps = [dict(s) for s in steps]
        self.count = 0
        self.lock = threading.Lock()

    def next_step(self):
        with self.lock:
            n = self.count
            self.count += 1
        return n, self.steps[min(n, len(self.steps) - 1)]



def error_envelope(message, etype="logical", code=0, **extra):
    item = {"message": message, "type": etype, "code": code}
    item.update(extra)
    return {"errors": [item]}


# --------------------------------------------------------------------------
# Job data and response helpers
# --------------------------------------------------------------------------

def make_job(uid, protected=5, cloud=False, cloud_host=None,
             target_host=SEED_TARGET_HOST, source_wan=None, target_wan=None,
             through_wan=False, embedded=True, **override):
    """A BackupServerReplicationVmJob as VSPC 9.2 sends it, with the keys a
    plugin must ignore (uniqueUid, _embedded, originalUid inside it).
    Keyword arguments named like API fields override or add fields."""
    job = {
        "instanceUid": uid,
        "uniqueUid": str(uuid.uuid5(uuid.NAMESPACE_URL, "vspc-sim:" + uid)),
        "protectedVmCount": protected,
        "isCloudJob": cloud,
        "cloudHostUid": cloud_host,
        "targetHostUid": target_host,
        "sourceWanAcceleratorUid": source_wan,
        "targetWanAcceleratorUid": target_wan,
        "throughWanAccelerators": through_wan,
    }
    if embedded:
        job["_embedded"] = {"backupServerJob": {
            "instanceUid": uid,
            "originalUid": "6a4c2357-29f4-4a28-b7a8-1870ea6f4e5a",
            "name": "Replica job " + uid[:8],
            "description": "Created by Powershell at 7/17/2024 6:48:08 PM.",
            "status": "Warning",
            "type": "ReplicationVM",
            "lastRun": "2024-07-17T21:48:09.763-04:00",
            "lastEndTime": "2024-07-17T21:54:52.48-04:00",
            "lastDuration": 402,
            "isEnabled": True,
            "schedule": None,
            "failureMessage": "vm01:\r\nOne or more source networks "
                              "were possibly mapped onto the same cloud "
                              "network.\r\n",
            "lastSessionTasks": [{"objectName": "vm01", "totalObjects": 6,
                                  "failureMessages": ["x"],
                                  "status": "Warning"}],
        }}
    job.update(override)
    return job


def seed_job():
    return make_job(SEED_UID, protected=5, cloud=False, cloud_host=None,
                    target_host=SEED_TARGET_HOST, source_wan=SEED_SOURCE_WAN,
                    target_wan=SEED_TARGET_WAN, through_wan=False,
                    uniqueUid=SEED_UNIQUE_UID)


def default_jobs():
    """Built-in scenarios: uid -> scenario."""
    return {
        SEED_UID: {"data": seed_job()},
        CLOUD_UID: {"data": make_job(
            CLOUD_UID, protected=1, cloud=True, cloud_host=CLOUD_HOST,
            target_host=ZERO_UUID, source_wan=None, target_wan=None,
            through_wan=False)},
        WAN_UID: {"data": make_job(
            WAN_UID, protected=12, cloud=False, cloud_host=None,
            target_host=WAN_TARGET_HOST, source_wan=WAN_SOURCE_WAN,
            target_wan=WAN_TARGET_WAN, through_wan=True)},
        SPEC_EXAMPLE_UID: {"data": make_job(
            SPEC_EXAMPLE_UID, protected=1, cloud=True, cloud_host=CLOUD_HOST,
            target_host=ZERO_UUID, originalUid=str(uuid.uuid4()))},
        BAD_TYPE_UID: {"data": make_job(BAD_TYPE_UID, protected="5")},
        SERVER_ERROR_UID: {"error": {"status": 520,
                                     "message": MSG_SERVER_ERROR,
                                     "type": "unspecified", "code": 500}},
        EMPTY_JOB_UID: {"data": make_job(EMPTY_JOB_UID, protected=0)},
    }


# --------------------------------------------------------------------------
# Job specs: one description, both endpoints and the collections
# --------------------------------------------------------------------------

DEFAULT_SERVER = "c44ed101-1989-480a-9668-6cb0868bc176"
DEFAULT_ORG = "61204df8-9cd3-4645-b905-3cc298a94386"
DEFAULT_LOCATION = "757dd2a9-b65c-483a-823a-fbfa77cb911f"

# Pools the generated fleet draws from.
FLEET_SERVERS = (DEFAULT_SERVER,
                 "2d6a9f0e-7c3b-4e15-9a8d-6b5c4f3e2d1a",
                 "8f7e6d5c-4b3a-4291-8f0e-1d2c3b4a5f6e",
                 "4a3b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0")
FLEET_ORGS = (DEFAULT_ORG,
              "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
              "5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c",
              "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
              "3c4d5e6f-7a8b-4c9d-ae0f-1a2b3c4d5e6f")
FLEET_SUFFIXES = ("SQL", "Exchange", "Web", "File", "DC", "ERP")
# (status, weight out of 1000)
FLEET_STATUSES = (("Success", 700), ("Warning", 80), ("Failed", 50),
                  ("Running", 40), ("Idle", 30), ("None", 30),
                  ("Starting", 10), ("Stopping", 10), ("Enabling", 10),
                  ("Disabling", 10), ("WaitingTape", 10),
                  ("WaitingRepository", 10), ("Unknown", 5), ("Paused", 5))
FLEET_SHAPES = ("-04:00", ".8-04:00", ".48-04:00", ".763-04:00",
                ".0000000-07:00", "Z", ".123Z", "+05:30", ".5+05:30",
                ".9999999+00:00", ".1234567-07:00", "+14:00", "-12:00")
# Every status value of the 3.6.2 schema.
JOB_STATUSES = ("Unknown", "None", "Idle", "Success", "Warning", "Failed",
                "Running", "Starting", "Stopping", "Enabling", "Disabling",
                "WaitingTape", "WaitingRepository")

_SHAPE_RE = re.compile(
    r"^(?:frac([0-7])|\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2}|naive(?:[+-][0-9]{2}:[0-9]{2})?)$")
_FLEET_UID_RE = re.compile(
    r"^f1ee7([0-9a-f]{3})-0000-4000-8000-([0-9a-f]{12})$")
_FRONT_BASE = 0xF00000000  # generated indices of jobs inserted at the front


def parse_shape(shape):
    """'frac7-07:00' -> ('0000000', '-07:00', -25200); '.8Z' -> ('8', 'Z', 0);
    'naive' -> (None, '', 0); '.5naive+02:00' -> ('5', '', 7200) (the wall
    clock at +02:00, written without an offset); fraction None when the
    shape has none."""
    m = _SHAPE_RE.match(shape)
    if not m:
        raise ValueError("bad timestamp shape %r" % shape)
    digits = None
    if m.group(1) is not None:
        digits = "0" * int(m.group(1)) or None
    elif m.group(2) is not None:
        digits = m.group(2)
    off = m.group(3)
    wall = off
    if off.startswith("naive"):
        wall = off[len("naive"):] or "Z"
        off = ""
    secs = 0
    if wall != "Z":
        secs = int(wall[1:3]) * 3600 + int(wall[4:6]) * 60
        if wall[0] == "-":
            secs = -secs
    return digits, off, secs


def format_time(epoch, shape="-04:00"):
    """The whole second epoch (UTC) written in shape."""
    digits, off, secs = parse_shape(shape)
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(
        seconds=int(epoch) + secs)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + digits
    return text + off


def shape_fraction(shape):
    digits, _, _ = parse_shape(shape)
    return int(digits) / 10 ** len(digits) if digits else 0.0


def fleet_uid(seed, index):
    return "f1ee7%03x-0000-4000-8000-%012x" % (seed & 0xfff, index)


def _unique_uid(uid):
    return P.default_unique_uid(uid)


def _failure_text(spec, status):
    name = spec.get("name") or "vm01"
    if status == "Failed":
        return ("Error: Failed to connect to the replica host 10.0.0.17\r\n"
                "Processing %s Error: Task failed: the network path was "
                "not found.\r\n" % name)
    if status == "Warning":
        return ("%s:\r\nOne or more source networks were possibly mapped "
                "onto the same cloud network. Simultaneous partial "
                "failovers of VMs residing on those networks may result in "
                "issues.\r\n" % name)
    return None


def _session_tasks(spec, count, status, end_epoch, shape):
    tstatus = status if status in ("Success", "Warning", "Failed") \
        else "Success"
    msgs = [] if tstatus == "Success" else [
        "Task finished with %s." % tstatus.lower()]
    start = end_epoch - 381 if end_epoch is not None else None
    tasks = []
    base = spec["uid"]
    for i in range(count):
        tasks.append({
            "instanceUid": str(uuid.uuid5(uuid.NAMESPACE_OID,
                                          "%s/%d" % (base, i))),
            "objectUid": str(uuid.uuid5(uuid.NAMESPACE_X500,
                                        "%s/%d" % (base, i))),
            "objectName": "vm%05d" % i,
            "totalObjects": 6,
            "processedObjects": 6,
            "readDataSize": 24234688512,
            "transferredDataSize": 16115584998,
            "startTime": None if start is None else format_time(start, shape),
            "endTime": None if end_epoch is None else format_time(
                end_epoch - 10, shape),
            "duration": 381,
            "failureMessages": list(msgs),
            "status": tstatus,
        })
    return tasks


# The schedule of a CDP policy's BackupServerJob: continuous.
_CDP_SCHEDULE = {
    "startDateTime": None, "startDateTimeUtc": None,
    "dailyScheduleOptions": None, "monthlyScheduleOptions": None,
    "periodicallyScheduleOptions": None, "backupWindowOptions": None,
    "continuousScheduleEnabled": True, "chainingOptions": None}

# BackupServerJob.type of each kind of spec ("kind" key)
KIND_TYPES = {"vm": "ReplicationVM", "cdp": "CdpReplicationVM"}


def spec_kind(spec):
    """"vm" (a VM replication job, the default) or "cdp" (a CDP policy)."""
    kind = spec.get("kind", "vm")
    if kind not in KIND_TYPES:
        raise ValueError("spec kind must be vm or cdp, not %r" % (kind,))
    return kind


def job_type(spec, kind=None):
    """The BackupServerJob.type spec stands for: its "type" key, else
    ReplicationVM (kind vm) or CdpReplicationVM (kind cdp)."""
    return spec.get("type", KIND_TYPES[kind or spec_kind(spec)])


def spec_in_orgs(spec, orgs):
    """Whether the job of spec belongs to one of the organizations orgs
    (lower case): its organizationUid or mappedOrganizationUid is one of
    them."""
    org = spec.get("org", DEFAULT_ORG)
    return any(isinstance(o, str) and o.lower() in orgs
               for o in (org, spec.get("mapped_org", org)))


def backup_server_job(spec, anchor, kind=None):
    """The BackupServerJob described by spec, lastEndTime and friends
    relative to anchor (a whole second, UTC epoch).  Returns (job, end)
    with end the moment lastEndTime stands for as (whole seconds,
    fraction) -- a float epoch cannot hold .9999999 -- or None.  kind
    ("vm", "cdp"; default: the spec's "kind" key, else vm) decides the
    defaults of type, name and schedule."""
    kind = kind or spec_kind(spec)
    cdp = kind == "cdp"
    uid = spec["uid"]
    never = bool(spec.get("never_run"))
    status = spec.get("status", "None" if never else "Success")
    shape = spec.get("end_shape", "-04:00")
    end_epoch = None
    if "last_end" in spec:
        last_end = spec["last_end"]
    elif never or spec.get("end_age", 3600) is None:
        last_end = None
    else:
        end_epoch = anchor - int(spec.get("end_age", 3600))
        last_end = format_time(end_epoch, shape)
    duration = None if never else spec.get("duration", 402)
    if "last_run" in spec:
        last_run = spec["last_run"]
    elif end_epoch is not None:
        last_run = format_time(end_epoch - (duration or 0), shape)
    else:
        last_run = None
    org = spec.get("org", DEFAULT_ORG)
    cloud = bool(spec.get("cloud", False))
    ntasks = 0 if never else int(spec.get("tasks", 1))
    job = {
        "instanceUid": uid,
        "uniqueUid": spec.get("unique_uid") or _unique_uid(uid),
        "name": spec.get("name", ("CDP policy " if cdp else "Replica job ")
                         + str(uid)[:8]),
        "description": spec.get(
            "description", "Created by Powershell at 7/17/2024 6:48:08 PM."),
        "createdBy": "R2VBR\\Administrator",
        "creationTime": format_time(anchor - 90 * 86400 + 1234,
                                    ".683-04:00"),
        "backupServerUid": spec.get("server", DEFAULT_SERVER),
        "locationUid": DEFAULT_LOCATION,
        "siteUid": "c9c0e1c7-b756-4d52-a790-eb9f51ea9091" if cloud else None,
        "organizationUid": org,
        "mappedOrganizationUid": spec.get("mapped_org", org),
        "status": status,
        "type": job_type(spec, kind),
        "lastRun": last_run,
        "lastEndTime": last_end,
        "lastDuration": duration,
        "processingRate": None if never else 127782020.0,
        "avgDuration": None if never else 402,
        "transferredData": None if never else spec.get("transferred",
                                                       16115584998),
        "backupChainSize": spec.get("chain_size", 0),
        "bottleneck": "None" if never else "Target",
        "isEnabled": spec.get("enabled", True),
        "scheduleType": "Continuously" if cdp else "Daily",
        "schedule": copy.deepcopy(spec["schedule"]) if "schedule" in spec
        else copy.deepcopy(_CDP_SCHEDULE) if cdp else {
            "startDateTime": "2024-07-17T22:00:00-04:00",
            "startDateTimeUtc": "2024-07-18T02:00:00Z",
            "dailyScheduleOptions": {
                "kind": "Everyday", "days": ["Sunday", "Monday", "Tuesday",
                                             "Wednesday", "Thursday",
                                             "Friday", "Saturday"],
                "time": "22:00:00", "timeUtc": "02:00:00"},
            "monthlyScheduleOptions": None,
            "periodicallyScheduleOptions": None,
            "backupWindowOptions": None,
            "continuousScheduleEnabled": False,
            "chainingOptions": None},
        "failureMessage": spec["failure"] if "failure" in spec
        else _failure_text(spec, status),
        "targetType": "Cloud" if cloud else "Local",
        "destination": "Hardware plan 1" if cloud else "Replica host 2",
        "retentionLimit": 7,
        "retentionLimitType": "RestorePoints",
        "isGfsOptionEnabled": False,
        "lastSessionTasks": _session_tasks(spec, ntasks, status, end_epoch,
                                           shape),
    }
    job.update(spec.get("job_extra") or {})
    for key in spec.get("job_omit") or ():
        job.pop(key, None)
    end = None
    if end_epoch is not None:
        end = (end_epoch, shape_fraction(shape))
    return job, end


def replication_job(spec, embedded=None):
    """The BackupServerReplicationVmJob described by spec, with
    embedded as _embedded.backupServerJob when given."""
    uid = spec["uid"]
    cloud = bool(spec.get("cloud", False))
    job = {
        "instanceUid": uid,
        "uniqueUid": spec.get("unique_uid") or _unique_uid(uid),
        "protectedVmCount": spec.get("protected", 5),
        "isCloudJob": cloud,
        "cloudHostUid": spec.get("cloud_host", CLOUD_HOST if cloud else None),
        "targetHostUid": spec.get("target_host",
                                  ZERO_UUID if cloud else SEED_TARGET_HOST),
        "sourceWanAcceleratorUid": spec.get("source_wan"),
        "targetWanAcceleratorUid": spec.get("target_wan"),
        "throughWanAccelerators": spec.get("through_wan", False),
    }
    if embedded is not None:
        job["_embedded"] = {"backupServerJob": embedded}
    job.update(spec.get("repl_extra") or {})
    for key in spec.get("repl_omit") or ():
        job.pop(key, None)
    return job


def decoy_job(uid):
    """What a plugin must not read in single-job mode: an _embedded job in
    the replication answer that contradicts the BackupServerJob endpoint."""
    return {"instanceUid": uid, "name": "DECOY embedded job",
            "status": "Failed", "isEnabled": False,
            "lastEndTime": "2001-01-01T00:00:00Z", "lastDuration": 1,
            "failureMessage": "DECOY\r\n", "transferredData": 1}


def generated_spec(seed, index):
    """Generated fleet job number index (deterministic)."""
    rnd = random.Random(seed * 1000003 + index)
    pick = rnd.randrange(1000)
    status = FLEET_STATUSES[-1][0]
    for name, weight in FLEET_STATUSES:
        if pick < weight:
            status = name
            break
        pick -= weight
    org = FLEET_ORGS[rnd.randrange(len(FLEET_ORGS))]
    mapped = org if rnd.randrange(10) else FLEET_ORGS[
        rnd.randrange(len(FLEET_ORGS))]
    cloud = rnd.randrange(5) == 0
    wan = (not cloud) and rnd.randrange(8) == 0
    spec = {
        "uid": fleet_uid(seed, index),
        "name": "Replica %05d %s" % (index, FLEET_SUFFIXES[index % 6]),
        "status": status,
        "enabled": rnd.randrange(100) >= 3,
        "server": FLEET_SERVERS[rnd.randrange(len(FLEET_SERVERS))],
        "org": org, "mapped_org": mapped,
        "protected": rnd.randrange(1, 41),
        "end_age": 600 + rnd.randrange(40000),
        "end_shape": FLEET_SHAPES[rnd.randrange(len(FLEET_SHAPES))],
        "duration": 30 + rnd.randrange(3600),
        "transferred": rnd.randrange(10 ** 12),
        "cloud": cloud, "through_wan": wan,
    }
    if wan:
        spec["source_wan"] = WAN_SOURCE_WAN
        spec["target_wan"] = WAN_TARGET_WAN
    if status == "None":
        spec["never_run"] = True
    return spec


def builtin_specs():
    """Job specs of the built-in jobs: their BackupServerJob endpoint and
    the default fleet."""
    return {
        SEED_UID: {"uid": SEED_UID, "unique_uid": SEED_UNIQUE_UID,
                   "name": "Replica seed SQL", "status": "Success",
                   "end_age": 3600, "protected": 5,
                   "source_wan": SEED_SOURCE_WAN,
                   "target_wan": SEED_TARGET_WAN,
                   "target_host": SEED_TARGET_HOST},
        CLOUD_UID: {"uid": CLOUD_UID, "name": "CloudReplicaJob",
                    "status": "Success", "end_age": 5400, "protected": 1,
                    "cloud": True, "end_shape": ".48-04:00"},
        WAN_UID: {"uid": WAN_UID, "name": "Replica WAN Exchange",
                  "status": "Success", "end_age": 7200, "protected": 12,
                  "through_wan": True, "source_wan": WAN_SOURCE_WAN,
                  "target_wan": WAN_TARGET_WAN,
                  "target_host": WAN_TARGET_HOST, "end_shape": "Z"},
        SPEC_EXAMPLE_UID: {"uid": SPEC_EXAMPLE_UID, "name": "ReplicationJob2",
                           "status": "Success", "end_age": 600,
                           "protected": 1, "cloud": True,
                           "end_shape": ".0000000-07:00"},
        EMPTY_JOB_UID: {"uid": EMPTY_JOB_UID, "name": "Replica empty",
                        "status": "Success", "end_age": 1800,
                        "protected": 0, "end_shape": "+05:30"},
        BAD_TYPE_UID: {"uid": BAD_TYPE_UID, "name": "Replica bad type",
                       "status": "Success", "end_age": 1800},
    }


def default_bsjobs():
    """Built-in BackupServerJob scenarios: uid -> scenario."""
    out = {uid: {"job": spec} for uid, spec in builtin_specs().items()}
    out.update({uid: {"job": spec}
                for uid, spec in builtin_cdp_specs().items()})
    out[SERVER_ERROR_UID] = {"error": {"status": 520,
                                       "message": MSG_SERVER_ERROR,
                                       "type": "unspecified", "code": 500}}
    return out


def default_fleet():
    """The default simulator's fleet: the built-in jobs and CDP
    policies."""
    specs = builtin_specs()
    cdp = builtin_cdp_specs()
    return {"jobs": [specs[u] for u in (SEED_UID, CLOUD_UID, WAN_UID,
                                        SPEC_EXAMPLE_UID, EMPTY_JOB_UID)],
            "cdp_jobs": [cdp[u] for u in (CDP_UID, CDP_NO_SLA_UID,
                                          CDP_NO_PERIOD_UID,
                                          CDP_UNKNOWN_UNIT_UID)]}


# --------------------------------------------------------------------------
# CDP replication policies (BackupServerCdpReplicationJob)
# --------------------------------------------------------------------------

# Built-in policies (defaults=True): served on the single endpoints and
# listed by the default fleet's CDP collection.
# healthy; lastPeriod.sla and maxDelay null; lastPeriod null; rpoUnit
# "Unknown"
CDP_UID = "cd9c0001-5e1f-4c2b-9a3d-0f1e2d3c4b5a"
CDP_NO_SLA_UID = "cd9c0002-5e1f-4c2b-9a3d-0f1e2d3c4b5a"
CDP_NO_PERIOD_UID = "cd9c0003-5e1f-4c2b-9a3d-0f1e2d3c4b5a"
CDP_UNKNOWN_UNIT_UID = "cd9c0004-5e1f-4c2b-9a3d-0f1e2d3c4b5a"

# BackupServerCdpReplicationJobLastPeriod / ...LastDay as served unless a
# spec's last_period / last_day says otherwise (sizes in KB, times in s).
CDP_LAST_PERIOD = {
    "successCount": 1440, "warningCount": 0, "errorsCount": 0,
    "averageData": 2048, "maximumData": 8192, "totalData": 2949120,
    "averageDuration": 3, "maximumDuration": 9, "syncInterval": 15,
    "sla": 100, "maxDelay": 4, "bottleneck": "Source"}
CDP_LAST_DAY = {
    "successCount": 5760, "warningCount": 0, "errorsCount": 0,
    "totalSize": 104857600, "readData": 11796480,
    "transferredData": 2949120, "sla": 100, "maxDelay": 4,
    "bottleneck": "Source"}
# What the spec's example shows for an idle policy (never_run specs).
CDP_IDLE_PERIOD = {
    "successCount": 0, "warningCount": 0, "errorsCount": 0,
    "averageData": None, "maximumData": None, "totalData": None,
    "averageDuration": None, "maximumDuration": None, "syncInterval": None,
    "sla": None, "maxDelay": None, "bottleneck": "NotDefined"}
CDP_IDLE_DAY = {
    "successCount": 0, "warningCount": 0, "errorsCount": 0,
    "totalSize": None, "readData": None, "transferredData": None,
    "sla": None, "maxDelay": None, "bottleneck": "NotDefined"}

# The top-level keys of a BackupServerCdpReplicationJob, in the spec's
# order, and those of a BackupServerReplicationVmJob.
CDP_KEYS = ("instanceUid", "uniqueUid", "rpo", "rpoUnit",
            "shortTermRetention", "shortTermRetentionUnit",
            "longTermRetention", "longTermRetentionUnit", "_embedded",
            "keepRestorePointsInDays", "sourceProxyAutoDetect",
            "targetProxyAutoDetect", "isApplicationAwareEnabled",
            "lastPeriod", "lastDay")
REPLICATION_KEYS = ("instanceUid", "uniqueUid", "protectedVmCount",
                    "isCloudJob", "cloudHostUid", "targetHostUid",
                    "sourceWanAcceleratorUid", "targetWanAcceleratorUid",
                    "throughWanAccelerators", "_embedded")

# How a CDP policy carries _embedded: no key, null, {"backupServerJob":
# null} or {"backupServerJob": {...}}.
EMBED_MODES = ("absent", "null", "empty", "job")

_CDP_UID_RE = re.compile(
    r"^cdcd([0-9a-f]{4})-0000-4000-8000-([0-9a-f]{12})$")
CDP_RPOS = ((15, "Seconds"), (15, "Seconds"), (30, "Seconds"),
            (1, "Minutes"), (5, "Minutes"), (15, "Minutes"), (1, "Hours"))
UNIT_SECONDS = {"Seconds": 1, "Minutes": 60, "Hours": 3600, "Days": 86400}
# (sla, weight out of 1000); None: lastPeriod.sla null
CDP_SLAS = ((100, 600), (99, 90), (95, 70), (90, 50), (75, 40), (50, 30),
            (0, 30), (None, 90))
CDP_STATUSES = (("Success", 760), ("Warning", 80), ("Failed", 50),
                ("Running", 50), ("Idle", 30), ("None", 20),
                ("Unknown", 10))


def cdp_uid(seed, index):
    """The UID of generated CDP policy number index of cdp_seed seed:
    cdcdSSSS-0000-4000-8000-IIIIIIIIIIII (hex)."""
    return "cdcd%04x-0000-4000-8000-%012x" % (seed & 0xffff, index)


def _cdp_block(value, defaults):
    """lastPeriod / lastDay from a spec value: a dict overrides defaults
    field by field, "absent" leaves the key out (returns _ABSENT),
    anything else (None included) is served verbatim."""
    if isinstance(value, str) and value == "absent":
        return _ABSENT
    if isinstance(value, dict):
        out = dict(defaults)
        out.update(value)
        return out
    return copy.deepcopy(value)


_ABSENT = object()


def cdp_job(spec, embedded="absent", job=None):
    """The BackupServerCdpReplicationJob described by spec (a CDP spec,
    see vspc_sim's module text).  embedded: one of EMBED_MODES -- no
    _embedded key, "_embedded": null, {"backupServerJob": null}, or
    {"backupServerJob": job}."""
    uid = spec["uid"]
    never = bool(spec.get("never_run"))
    item = {
        "instanceUid": uid,
        "uniqueUid": spec.get("unique_uid") or _unique_uid(uid),
        "rpo": spec.get("rpo", 15),
        "rpoUnit": spec.get("rpo_unit", "Seconds"),
        "shortTermRetention": spec.get("short_term_retention", 240),
        "shortTermRetentionUnit": spec.get("short_term_retention_unit",
                                           "Minutes"),
        "longTermRetention": spec.get("long_term_retention", 1440),
        "longTermRetentionUnit": spec.get("long_term_retention_unit",
                                          "Minutes"),
    }
    if embedded not in EMBED_MODES:
        raise ValueError("embedded must be one of %s, not %r"
                         % (", ".join(EMBED_MODES), embedded))
    if embedded == "null":
        item["_embedded"] = None
    elif embedded == "empty":
        item["_embedded"] = {"backupServerJob": None}
    elif embedded == "job":
        item["_embedded"] = {"backupServerJob": job}
    item.update({
        "keepRestorePointsInDays": spec.get("keep_restore_points_in_days",
                                            2),
        "sourceProxyAutoDetect": spec.get("source_proxy_auto_detect", True),
        "targetProxyAutoDetect": spec.get("target_proxy_auto_detect", True),
        "isApplicationAwareEnabled": spec.get(
            "is_application_aware_enabled", False),
    })
    for key, name, defaults in (
            ("lastPeriod", "last_period",
             CDP_IDLE_PERIOD if never else CDP_LAST_PERIOD),
            ("lastDay", "last_day", CDP_IDLE_DAY if never else CDP_LAST_DAY)):
        block = _cdp_block(spec.get(name, {}), defaults)
        if block is not _ABSENT:
            item[key] = block
    item.update(copy.deepcopy(spec.get("cdp_extra") or {}))
    for key in spec.get("cdp_omit") or ():
        item.pop(key, None)
    return item


def collection_embed_mode(spec, expand):
    """How a CDP collection item carries _embedded: the spec's "embedded"
    key -- true (default): the job with expand, {"backupServerJob": null}
    without; false: no _embedded; or one of EMBED_MODES, whatever expand
    says."""
    mode = spec.get("embedded", True)
    if mode is True:
        return "job" if expand else "empty"
    if mode is False:
        return "absent"
    return mode


def _weighted(rnd, table):
    pick = rnd.randrange(1000)
    for value, weight in table:
        if pick < weight:
            return value
        pick -= weight
    return table[-1][0]


def generated_cdp_spec(seed, index):
    """Generated CDP policy number index (deterministic): names like
    "CDP 00042 SQL", a mix of statuses, RPOs, SLA values (null among
    them), delays and error counts."""
    rnd = random.Random(seed * 1000033 + index * 7 + 0xCD9)
    status = _weighted(rnd, CDP_STATUSES)
    rpo, unit = CDP_RPOS[rnd.randrange(len(CDP_RPOS))]
    rpo_s = rpo * UNIT_SECONDS[unit]
    sla = _weighted(rnd, CDP_SLAS)
    if sla is None:
        period = {"sla": None, "maxDelay": None}
    elif sla == 100:
        period = {"sla": 100, "maxDelay": rnd.randrange(rpo_s // 2 + 1),
                  "errorsCount": 0, "warningCount": 0}
    else:
        period = {"sla": sla,
                  "maxDelay": rpo_s + rnd.randrange(1, 20 * rpo_s + 2),
                  "errorsCount": rnd.randrange(1, 60) if sla < 95
                  else rnd.randrange(0, 3),
                  "warningCount": rnd.randrange(0, 20)}
    period["successCount"] = rnd.randrange(100, 5761)
    period["syncInterval"] = rpo_s
    org = FLEET_ORGS[rnd.randrange(len(FLEET_ORGS))]
    spec = {
        "uid": cdp_uid(seed, index), "kind": "cdp",
        "name": "CDP %05d %s" % (index, FLEET_SUFFIXES[index % 6]),
        "status": status,
        "enabled": rnd.randrange(100) >= 3,
        "server": FLEET_SERVERS[rnd.randrange(len(FLEET_SERVERS))],
        "org": org, "mapped_org": org,
        "end_age": 5 + rnd.randrange(600),
        "end_shape": FLEET_SHAPES[rnd.randrange(len(FLEET_SHAPES))],
        "duration": 1 + rnd.randrange(30),
        "rpo": rpo, "rpo_unit": unit,
        "last_period": period,
        "last_day": {"sla": sla, "maxDelay": period["maxDelay"],
                     "errorsCount": period.get("errorsCount", 0)},
    }
    if status == "None":
        spec["never_run"] = True
        spec.pop("last_period")
        spec.pop("last_day")
    elif rnd.randrange(50) == 0:
        spec["last_period"] = None
    return spec


def builtin_cdp_specs():
    """CDP specs of the built-in policies: uid -> spec."""
    return {
        CDP_UID: {"uid": CDP_UID, "kind": "cdp", "name": "CDP SQL cluster",
                  "status": "Success", "end_age": 30, "duration": 3},
        CDP_NO_SLA_UID: {
            "uid": CDP_NO_SLA_UID, "kind": "cdp",
            "name": "CDP file server (no SLA yet)", "status": "Success",
            "end_age": 60, "duration": 2,
            "last_period": {"successCount": 0, "sla": None,
                            "maxDelay": None, "averageData": None,
                            "averageDuration": None,
                            "bottleneck": "NotDefined"},
            "last_day": {"successCount": 0, "sla": None, "maxDelay": None,
                         "bottleneck": "NotDefined"}},
        CDP_NO_PERIOD_UID: {
            "uid": CDP_NO_PERIOD_UID, "kind": "cdp",
            "name": "CDP new policy", "status": "Success", "end_age": 45,
            "last_period": None},
        CDP_UNKNOWN_UNIT_UID: {
            "uid": CDP_UNKNOWN_UNIT_UID, "kind": "cdp",
            "name": "CDP odd unit", "status": "Success", "end_age": 40,
            "rpo": 15, "rpo_unit": "Unknown"},
    }


def default_cdp():
    """Built-in scenarios of the CDP policy endpoint: uid -> scenario."""
    return {uid: {"job": spec} for uid, spec in builtin_cdp_specs().items()}


def _rotated(item, k):
    """item with its keys, and those of its embedded job, rotated by
    amounts that depend on k: a cheap key order that varies per item."""
    emb = item.get("_embedded")
    if isinstance(emb, dict) and isinstance(emb.get("backupServerJob"),
                                            dict):
        job = emb["backupServerJob"]
        keys = list(job)
        r = (k * 7) % len(keys) if keys else 0
        emb["backupServerJob"] = {key: job[key]
                                  for key in keys[r:] + keys[:r]}
    keys = list(item)
    r = (k * 3) % len(keys) if keys else 0
    return {key: item[key] for key in keys[r:] + keys[:r]}


def _shuffled(obj, rnd):
    """A copy of obj with the keys of every object in a random order."""
    if isinstance(obj, dict):
        items = list(obj.items())
        rnd.shuffle(items)
        return {k: _shuffled(v, rnd) for k, v in items}
    if isinstance(obj, list):
        return [_shuffled(v, rnd) for v in obj]
    return obj


# --------------------------------------------------------------------------
