"""The documentation examples (tests/fixtures/seeds/), served verbatim under their ids.

Copied from the seed excerpts, byte-for-byte in values; the only change is hdrjpg's
malformed `variants: { {...} }`, served as the proper array it stands for.
"""

from __future__ import annotations

import copy
import json
from typing import Any

HDRJPG_SEED_UUID = "88667411-3fb9-4c92-8488-8e277aed3021"
ZOO_SEED_ASYNC_ID = "0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d"
METAFOLD_SEED_PROJECT = "123"
METAFOLD_SEED_JOB = "123"
LETTRLABS_SEED_ID = 0

_HDRJPG = """{
"uuid": "88667411-3fb9-4c92-8488-8e277aed3021" ,
"status": "Pending",
"createdDate": "2024-10-12T07:18:40+00:00",
"startedDate": "2024-10-12T07:19:40+00:00",
"failedDate": null,
"failDescriptions": null,
"completedDate": null,
"deliveredDate": null,
"deliveryExpirationDate": null,
"sourceImageFileName": "test.heic",
"progressPercentage": 0,
"conversionTime": 10,
"estimatedRemainingTime": 0,
"blurHash": "elMj?o;JW3H1R%D%~AxfUCt7?bt7M{WBRkIBE2t1rcofWBayfRayf7",
"averageColor": "#9B9B9B",
"variants": [
{
"uuid": "83b58e48-96bc-4a9c-be18-c0b737ef8bdc",
"status": "Pending",
"createdDate": "2024-10-12T07:18:40+00:00",
"failedDate": null,
"failDescriptions": null,
"warningDescriptions": null,
"completedDate": null,
"conversionTime": null,
"fileName": null,
"format": "jpeg-xt",
"outputImageFileName": "test_1200q80.jpg",
"outputImageFileSize": 844367,
"outputImageWidth": 1600,
"outputImageHeight": 1200,
"outputImageMegapixels": 1.92,
"outputImageAspectRatio": 1.333333,
"outputImageCompressionRatio": 114.76,
"conversionParameters": {
"width": 100,
"height": 0,
"extrapolate": false,
"baseQuality": 0,
"gainmapQuality": 0,
"onSdr": "fail"
}
}
]
}"""

_ZOO_ASYNC = """{
      "completed_at": "2024-04-29T19:58:23.472Z",
      "created_at": "2024-04-29T19:58:23.472Z",
      "error": "hgSg2J3xPWMTAvWTSpmcxyiSdKiZ",
      "id": "0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d",
      "input": "{}",
      "output": "{}",
      "started_at": "2024-04-29T19:58:23.473Z",
      "status": "failed",
      "type": "file_center_of_mass",
      "updated_at": "2024-04-29T19:58:23.473Z",
      "user_id": "550908b9-1249-4b96-a0ad-5bbe9dde4395",
      "worker": "WPVfuf6GvdhG6a7oMb"
    }"""

_METAFOLD_JOB = """{
  "id": "123",
  "name": "sample-mesh",
  "type": "implicit/from-mesh",
  "needs": [
    "1",
    "2"
  ],
  "state": "success",
  "inputs": {
    "assets": {
      "mesh": {
        "id": "1",
        "size": 262144,
        "created": "2006-01-02T22:04:05+00:00",
        "checksum": "sha256:2d063a84b13e5b23730a509cbb6ba42534acde451249a0b7409172a4f8814ef0",
        "filename": "part.stl",
        "modified": "2006-01-02T22:04:05+00:00"
      }
    },
    "params": {
      "resolution": "256"
    }
  },
  "created": "2006-01-02T22:04:05+00:00",
  "outputs": {
    "assets": {
      "volume": {
        "id": "2",
        "size": 262144,
        "created": "2006-01-02T22:04:05+00:00",
        "checksum": "sha256:d8a0c9a50db61d021c311ef1a57e4531a75f30a3bea44d1db20d82d12d1bb2df",
        "filename": "18ac5faec0625a35.bin",
        "modified": "2006-01-02T22:04:05+00:00"
      }
    },
    "params": {
      "patch": "{\\"size\\": [2.0, 2.0, 2.0], \\"offset\\": [-1.0, -1.0, -1.0], \\"resolution\\": [256, 256, 256]}\\n",
      "bounds": "{\\"min\\": [-1.0, -1.0, -1.0], \\"max\\": [1.0, 1.0, 1.0]}\\n",
      "face_count": "1000",
      "vertex_count": "3000"
    }
  },
  "started": "2006-01-02T22:04:10+00:00",
  "finished": "2006-01-02T22:04:40+00:00",
  "project_id": "123",
  "workflow_id": "123"
}"""

_LETTRLABS_STATUS = """{ "profile": { "id": 0, "aadId": "1cbad290-069a-4527-be23-a0c144b5302d",
"email": "string", "firstName": "string", "lastName": "string", "company": "string",
"created": "2019-08-24T14:15:22Z", "shouldProcessQrCodes": true }, "payload": { "id": 0,
"fileName": "string", "dataSourceType": "string", "status": "string",
"uploadDate": "2019-08-24T14:15:22Z" }, "errors": [ "string" ], "hasErrors": true,
"warnings": [ "string" ], "hasWarnings": true,
"metadata": { "property1": null, "property2": null }}"""

_PARSED = {
    "hdrjpg": json.loads(_HDRJPG),
    "zoo_async": json.loads(_ZOO_ASYNC),
    "metafold_job": json.loads(_METAFOLD_JOB),
    "lettrlabs_status": json.loads(_LETTRLABS_STATUS),
}


def seed(name: str) -> dict[str, Any]:
    """A fresh copy of one seed payload: hdrjpg, zoo_async, metafold_job, lettrlabs_status."""
    return copy.deepcopy(_PARSED[name])
