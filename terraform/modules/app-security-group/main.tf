# The security group of one app's instances: no ingress but SSH from listed addresses (and, for an app behind
# a load balancer, its port from that load balancer); egress for AWS APIs, the package registry and Iglu.

resource "aws_security_group" "this" {
  name        = var.name
  description = "Furrow app ${var.name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = var.name })
}

resource "aws_security_group_rule" "ingress_ssh" {
  count = length(var.ssh_ip_allowlist) > 0 ? 1 : 0

  description       = "SSH from the operators addresses (ssh_ip_allowlist)"
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = var.ssh_ip_allowlist
  security_group_id = aws_security_group.this.id
}

resource "aws_security_group_rule" "egress_https" {
  description       = "HTTPS to AWS APIs, the package registry and Iglu Central"
  type              = "egress"
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.this.id
}

resource "aws_security_group_rule" "egress_http" {
  description       = "HTTP to the OS package mirrors and Iglu repositories"
  type              = "egress"
  from_port         = 80
  to_port           = 80
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.this.id
}

# --- An app behind a load balancer takes its port from that load balancer only

resource "aws_security_group_rule" "ingress_from_lb" {
  count = var.load_balancer != null ? 1 : 0

  description              = "App port from the load balancer only"
  type                     = "ingress"
  from_port                = var.load_balancer.port
  to_port                  = var.load_balancer.port
  protocol                 = "tcp"
  source_security_group_id = var.load_balancer.security_group_id
  security_group_id        = aws_security_group.this.id
}

# The load balancer's security group has no egress of its own: allow it to reach these instances only.
resource "aws_security_group_rule" "lb_egress_to_app" {
  count = var.load_balancer != null ? 1 : 0

  description              = "Load balancer to ${var.name}"
  type                     = "egress"
  from_port                = var.load_balancer.port
  to_port                  = var.load_balancer.port
  protocol                 = "tcp"
  source_security_group_id = aws_security_group.this.id
  security_group_id        = var.load_balancer.security_group_id
}
