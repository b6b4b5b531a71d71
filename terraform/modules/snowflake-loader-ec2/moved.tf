# Addresses from before the shared modules (app-iam-role, app-security-group, kcl-lease-table): an existing
# deployment keeps its role, security group and lease table (with its checkpoints) instead of replacing them.

moved {
  from = aws_iam_role.app
  to   = module.iam_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.app
  to   = module.iam_role.aws_iam_role_policy.this
}

moved {
  from = aws_security_group.app
  to   = module.security_group.aws_security_group.this
}

moved {
  from = aws_security_group_rule.ingress_ssh
  to   = module.security_group.aws_security_group_rule.ingress_ssh
}

moved {
  from = aws_security_group_rule.egress_https
  to   = module.security_group.aws_security_group_rule.egress_https
}

moved {
  from = aws_security_group_rule.egress_http
  to   = module.security_group.aws_security_group_rule.egress_http
}
