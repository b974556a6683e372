"""A short human summary of a synthesized template (pure: takes the template dict)."""

from __future__ import annotations

from collections import Counter
from typing import Any


def summarize_template(stack_name: str, template: dict[str, Any]) -> list[str]:
    resources: dict[str, Any] = template.get("Resources", {})
    counts = Counter(r["Type"] for r in resources.values())
    outputs = template.get("Outputs", {})
    lt = next(
        (r["Properties"]["LaunchTemplateData"] for r in resources.values() if r["Type"] == "AWS::EC2::LaunchTemplate"),
        {},
    )
    interfaces = lt.get("NetworkInterfaces", [])
    buckets = [r for r in resources.values() if r["Type"] == "AWS::S3::Bucket"]
    bucket_policy = buckets[0].get("DeletionPolicy", "Delete") if buckets else "none"
    imdsv2 = "required" if lt.get("MetadataOptions", {}).get("HttpTokens") == "required" else "NOT required"
    ebs = (lt.get("BlockDeviceMappings") or [{}])[0].get("Ebs", {})
    lines = [
        f"stack {stack_name}: {len(resources)} resources",
        f"  nodes:      {counts.get('AWS::EC2::Instance', 0)} x {lt.get('InstanceType', '?')}, "
        f"{len(interfaces)} EFA interface(s) each, cluster placement group",
        f"  root disk:  {ebs.get('VolumeSize', '?')} GiB {ebs.get('VolumeType', '?')}, "
        f"encrypted={ebs.get('Encrypted', False)}; IMDSv2 {imdsv2}",
        f"  scripts:    S3 bucket, deletion policy {bucket_policy}",
        f"  public IPs: {outputs.get('PublicIpAssignment', {}).get('Value', 'unknown')}",
        "  resources:  " + ", ".join(f"{n} {t.split('::')[-1]}" for t, n in sorted(counts.items())),
    ]
    return lines
