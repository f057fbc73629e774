@area.limits
Feature: Order types and the small-merchant credit caps (订单类型与小微商户贷记限额)
  A purchase names its order type (UnionPay orderType): 10 ordinary, 11 no credit account may
  pay it (限定非贷记帐户), 12 a small merchant's collection (小微商户收款). The issuer declines a
  type 11 order paid from a credit account (68), and caps a payer's credit payments in type 12
  orders at one acquirer at CNY 1,000 a day and CNY 10,000 a calendar month (33;
  business.json small_merchant_credit, configurable until its source is verified). The payer
  is put in risk tier B (CNY 5,000 a day), so that these caps, not the tier's, are what stops
  the payments. The rule is the profile's from 1.1.

  @tc.XW-01 @req.R-FLOW-20 @role.issuer
  Scenario: The SUT declines a credit account for an order limited to non-credit accounts
    Given a payer account at the SUT holding 100.00 CNY
    And the payer account at the SUT is a credit account
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 10.00 CNY in an order of type 11
    Then the peer acquirer reports the purchase as declined with response code "68"
    And the payer account at the SUT holds 100.00 CNY
    When the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 10.00 CNY in an order of type 10
    Then the peer acquirer reports the purchase as approved
    And the payer account at the SUT holds 90.00 CNY

  @tc.XW-03 @req.R-FLOW-20 @role.issuer
  Scenario: The SUT caps a credit account at CNY 10,000 a month of one acquirer's small-merchant collections
    Given the network's clock reads 10:00:00 Beijing time on the first day of next month
    And a payer account at the SUT holding 12000.00 CNY
    And the payer account at the SUT is in risk tier B
    And the payer account at the SUT is a credit account
    And the peer acquirer's terminal was paid 1000.00 CNY in an order of type 12 on each of the next 10 days
    When the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 0.01 CNY in an order of type 12
    Then the peer acquirer reports the purchase as declined with response code "33"
    When the SUT's wallet shows a payment code for that account
    And the terminal of the acquirer-q's acquirer scans the payment code for 0.01 CNY in an order of type 12
    Then the acquirer-q's acquirer reports the purchase as approved
    And the payer account at the SUT holds 1999.99 CNY

  @tc.XW-04 @req.R-FLOW-20 @role.issuer
  Scenario: The SUT's wallet does not pay an MPM order limited to non-credit accounts from a credit account
    Given a payer account at the SUT holding 100.00 CNY
    And the payer account at the SUT is a credit account
    And a static merchant code of the peer acquirer for merchant "Wealth Shop" in orders of type 11
    When the payer scans the merchant code in the SUT's wallet and pays 10.00 CNY
    Then the SUT reports the payment as declined with response code "68"
    And the payer account at the SUT holds 100.00 CNY
