"""The synth summary reads the template, not the configuration."""

from __future__ import annotations

from console.stack_summary import summarize_template


def test_summary_reports_nodes_efa_disk_and_bucket_policy() -> None:
    template = {
        "Resources": {
            "N1": {"Type": "AWS::EC2::Instance"},
            "N2": {"Type": "AWS::EC2::Instance"},
            "B": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
            "LT": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {
                    "LaunchTemplateData": {
                        "InstanceType": "p4d.24xlarge",
                        "NetworkInterfaces": [{}, {}, {}, {}],
                        "MetadataOptions": {"HttpTokens": "optional"},
                        "BlockDeviceMappings": [{"Ebs": {"VolumeSize": 300, "VolumeType": "gp3", "Encrypted": True}}],
                    }
                },
            },
        },
        "Outputs": {"PublicIpAssignment": {"Value": "none: 4 EFA"}},
    }
    lines = summarize_template("s", template)
    assert lines[0] == "stack s: 4 resources"
    assert "2 x p4d.24xlarge, 4 EFA interface(s) each" in lines[1]
    assert "300 GiB gp3, encrypted=True; IMDSv2 NOT required" in lines[2]
    assert "deletion policy Retain" in lines[3]
    assert lines[4].endswith("none: 4 EFA")
